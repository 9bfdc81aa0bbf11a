package io.bitsweep.mlx;

import io.bitsweep.model.WeightSource;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;

/**
 * Replaces every zero-centred norm weight {@code w} of a Qwen weight source by {@code
 * round(1 + w) - 1}, the value that an MLX model, which stores {@code 1 + w} rounded to the norm's
 * 16-bit dtype (bf16 or f16), gives back. Norms stored in fp32 are returned unchanged. Wrapped
 * around the quant package's fake-quantized weights, it yields the weights an MLX folder holds.
 */
final class FakeQuantReference implements WeightSource {
  private final WeightSource source;

  FakeQuantReference(WeightSource source) {
    this.source = source;
  }

  @Override
  public TensorInfo info(String name) {
    return source.info(name);
  }

  @Override
  public boolean contains(String name) {
    return source.contains(name);
  }

  @Override
  public float[] read(String name) {
    float[] values = source.read(name);
    return isZeroCentredNorm(name) ? rounded(values, info(name).dtype()) : values;
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    source.readRows(name, firstRow, rowCount, dst, dstOffset);
    if (isZeroCentredNorm(name)) {
      DType dtype = info(name).dtype();
      int count = Math.toIntExact(rowCount * info(name).lastDim());
      for (int i = dstOffset; i < dstOffset + count; i++) {
        dst[i] = storedShift(dst[i], dtype);
      }
    }
  }

  private static float[] rounded(float[] values, DType dtype) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = storedShift(values[i], dtype);
    }
    return out;
  }

  /** Returns {@code 1 + w} rounded to {@code dtype}, minus 1. */
  private static float storedShift(float w, DType dtype) {
    float shifted = 1f + w;
    float stored =
        switch (dtype) {
          case BF16 -> Floats.roundToBf16(shifted);
          case F16 -> Floats.f16ToFloat(Floats.floatToF16(shifted));
          default -> shifted;
        };
    return stored - 1f;
  }

  /**
   * Returns whether a tensor is a Qwen norm stored as {@code 1 + w}: layer, final, q and k norms.
   */
  private static boolean isZeroCentredNorm(String name) {
    return name.endsWith("input_layernorm.weight")
        || name.endsWith("post_attention_layernorm.weight")
        || name.endsWith("q_norm.weight")
        || name.endsWith("k_norm.weight")
        || name.equals("model.norm.weight")
        || name.equals("model.language_model.norm.weight");
  }
}
