package io.bitsweep.mlx;

import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.Disposition;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.Floats;

/**
 * The reference the MLX reader is compared with: a checkpoint's weights fake-quantized with a
 * plan's settings (quantize then dequantize, without bit packing), and optionally with every
 * zero-centred norm weight {@code w} replaced by {@code bf16(1 + w) - 1}, the value an MLX model
 * stores as {@code bf16(1 + w)} gives back.
 */
final class FakeQuantReference implements WeightSource {
  private final WeightSource source;
  private final QuantPlan plan;
  private final boolean roundShiftedNorms;

  FakeQuantReference(WeightSource source, QuantPlan plan, boolean roundShiftedNorms) {
    this.source = source;
    this.plan = plan;
    this.roundShiftedNorms = roundShiftedNorms;
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
    TensorInfo info = info(name);
    float[] values = source.read(name).clone();
    transform(name, info, values);
    return values;
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    TensorInfo info = info(name);
    float[] rows = new float[Math.toIntExact(rowCount * info.lastDim())];
    source.readRows(name, firstRow, rowCount, rows, 0);
    transform(name, info, rows);
    System.arraycopy(rows, 0, dst, dstOffset, rows.length);
  }

  private void transform(String name, TensorInfo info, float[] values) {
    QuantPlan.Entry entry = plan.entry(name);
    if (entry.disposition() == Disposition.QUANTIZED) {
      long[] shape = {values.length / info.lastDim(), info.lastDim()};
      float[] fake = AffineQuantizer.of(entry.setting()).fakeQuantize(values, shape, info.dtype());
      System.arraycopy(fake, 0, values, 0, values.length);
    } else if (roundShiftedNorms && isZeroCentredNorm(name)) {
      for (int i = 0; i < values.length; i++) {
        values[i] = Floats.roundToBf16(1f + values[i]) - 1f;
      }
    }
  }

  /** The Qwen norms stored as {@code 1 + w}: layer norms, the final norm, q_norm and k_norm. */
  private static boolean isZeroCentredNorm(String name) {
    return name.endsWith("input_layernorm.weight")
        || name.endsWith("post_attention_layernorm.weight")
        || name.endsWith("q_norm.weight")
        || name.endsWith("k_norm.weight")
        || name.equals("model.norm.weight")
        || name.equals("model.language_model.norm.weight");
  }
}
