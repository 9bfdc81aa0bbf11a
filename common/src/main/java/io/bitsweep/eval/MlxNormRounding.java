package io.bitsweep.eval;

import io.bitsweep.model.WeightSource;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Models how an MLX folder stores Qwen3.5 and Qwen3-Next zero-centred RMSNorm weights: mlx-lm
 * keeps {@code 1 + w} in the checkpoint's 16-bit dtype, which drops the low bits of {@code w}.
 * This source returns {@code round16(1 + w) - 1} for those norms (exact in fp32, since the
 * subtraction from a value near 1 is exact) so that the forward pass, which adds 1 back, computes
 * what the written model computes. Norms stored in fp32 are returned unchanged, as the writer keeps
 * them in fp32.
 */
final class MlxNormRounding implements WeightSource {
  private final WeightSource base;
  private final Map<String, float[]> rounded = new ConcurrentHashMap<>();

  MlxNormRounding(WeightSource base) {
    this.base = base;
  }

  /** Whether {@code name} is a zero-centred norm weight of Qwen3.5 or Qwen3-Next. */
  static boolean isZeroCenteredNorm(String name) {
    return name.endsWith("input_layernorm.weight")
        || name.endsWith("post_attention_layernorm.weight")
        || name.endsWith("self_attn.q_norm.weight")
        || name.endsWith("self_attn.k_norm.weight")
        || name.equals("model.language_model.norm.weight")
        || name.equals("model.norm.weight");
  }

  @Override
  public TensorInfo info(String name) {
    return base.info(name);
  }

  @Override
  public boolean contains(String name) {
    return base.contains(name);
  }

  @Override
  public float[] read(String name) {
    DType dtype = base.info(name).dtype();
    if (!isZeroCenteredNorm(name) || (dtype != DType.BF16 && dtype != DType.F16)) {
      return base.read(name);
    }
    return rounded.computeIfAbsent(
        name,
        n -> {
          float[] values = base.read(n).clone();
          for (int i = 0; i < values.length; i++) {
            float shifted = 1f + values[i];
            float stored =
                dtype == DType.BF16
                    ? Floats.roundToBf16(shifted)
                    : Floats.f16ToFloat(Floats.floatToF16(shifted));
            values[i] = stored - 1f;
          }
          return values;
        });
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    if (!isZeroCenteredNorm(name)) {
      base.readRows(name, firstRow, rowCount, dst, dstOffset);
      return;
    }
    int cols = (int) base.info(name).lastDim();
    System.arraycopy(read(name), (int) (firstRow * cols), dst, dstOffset, rowCount * cols);
  }

  @Override
  public void observeInput(String tensorName, float[] x, int rows, int cols) {
    base.observeInput(tensorName, x, rows, cols);
  }
}
