package io.bitsweep.quant;

import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantPlan.Disposition;
import io.bitsweep.quant.QuantPlan.Entry;
import io.bitsweep.safetensors.TensorInfo;
import java.util.Locale;

/**
 * The weights of one configuration as MLX would compute with them. Tensors the plan quantizes are
 * returned fake-quantized: quantized then dequantized to fp32 from the base's values, with scales
 * and biases in the tensor's stored dtype, as MLX quantizes the bf16 checkpoint. All other tensors
 * pass through from the base source unchanged.
 *
 * <p>Fake-quantized tensors go through a {@link FakeQuantCache} shared across configurations, so a
 * tensor whose setting several configurations share is quantized once. {@link #readRows} quantizes
 * just the requested rows when the tensor is not cached (rows are quantized independently, so the
 * values equal the matching rows of {@link #read}).
 *
 * <p>When the head is tied and the checkpoint still stores {@code lm_head.weight}, MLX computes the
 * logits with the (quantized) embedding, so reading {@code lm_head.weight} returns the
 * fake-quantized embedding.
 *
 * <p>Settings with AWQ need a base that applies the scales, a {@link DerivedWeights} such as {@code
 * io.bitsweep.awq.AwqWeights}: this class quantizes whatever the base returns, and keys the cache
 * on the base's origin and its transform key for each tensor.
 */
public final class FakeQuantWeights implements WeightSource {
  private final WeightSource base;
  private final DerivedWeights derived; // base when it derives tensors, else null
  private final Object cacheSource;
  private final QuantPlan plan;
  private final FakeQuantCache cache;
  private final String embeddingName;

  /**
   * Wraps a base source.
   *
   * @param base the unquantized weights, as read from the checkpoint, or a {@link DerivedWeights}
   *     over them (required when the plan has AWQ settings)
   * @param plan the configuration resolved against the same checkpoint
   * @param cache the cache shared by every configuration over this base
   */
  public FakeQuantWeights(WeightSource base, QuantPlan plan, FakeQuantCache cache) {
    this.base = base;
    this.derived = base instanceof DerivedWeights d ? d : null;
    this.cacheSource = derived == null ? base : derived.origin();
    this.plan = plan;
    this.cache = cache;
    this.embeddingName = findEmbedding(plan);
  }

  private static String findEmbedding(QuantPlan plan) {
    for (Entry entry : plan.entries().values()) {
      if (entry.role().group() == LayerGroup.EMBED && entry.disposition() != Disposition.DROPPED) {
        return entry.name();
      }
    }
    return null;
  }

  public QuantPlan plan() {
    return plan;
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
    String source = sourceName(name);
    QuantSetting setting = quantizedSetting(source);
    if (setting == null) {
      return base.read(source);
    }
    return cache.get(
        cacheSource, source, variant(source), setting, () -> fakeQuantizeAll(source, setting));
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    String source = sourceName(name);
    QuantSetting setting = quantizedSetting(source);
    if (setting == null) {
      base.readRows(source, firstRow, rowCount, dst, dstOffset);
      return;
    }
    int columns = Math.toIntExact(base.info(source).lastDim());
    float[] cached = cache.peek(cacheSource, source, variant(source), setting);
    if (cached != null) {
      System.arraycopy(
          cached, Math.toIntExact(firstRow * columns), dst, dstOffset, rowCount * columns);
      return;
    }
    float[] rows = new float[rowCount * columns];
    base.readRows(source, firstRow, rowCount, rows, 0);
    AffineQuantizer.of(setting)
        .fakeQuantizeRows(rows, 0, dst, dstOffset, rowCount, columns, base.info(source).dtype());
  }

  @Override
  public void observeInput(String tensorName, float[] x, int rows, int cols) {
    base.observeInput(tensorName, x, rows, cols);
  }

  private String variant(String name) {
    return derived == null ? "" : derived.transformKey(name);
  }

  /** Maps a dropped tied {@code lm_head.weight} to the embedding it stands for. */
  private String sourceName(String name) {
    Entry entry = plan.entries().get(name);
    if (entry != null
        && entry.disposition() == Disposition.DROPPED
        && entry.role().group() == LayerGroup.LM_HEAD
        && embeddingName != null) {
      return embeddingName;
    }
    return name;
  }

  /** Returns the setting when the plan quantizes the tensor, else null. */
  private QuantSetting quantizedSetting(String name) {
    Entry entry = plan.entries().get(name);
    if (entry == null || entry.disposition() != Disposition.QUANTIZED) {
      return null;
    }
    if (entry.setting().awq() && derived == null) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Cannot fake-quantize %s with setting %s: AWQ scales come from activation"
                  + " statistics, so wrap the weights in io.bitsweep.awq.AwqWeights; run `bitsweep"
                  + " reference` first, which records activation statistics",
              name,
              entry.setting().label()));
    }
    return entry.setting();
  }

  private float[] fakeQuantizeAll(String name, QuantSetting setting) {
    TensorInfo info = base.info(name);
    return AffineQuantizer.of(setting).fakeQuantize(base.read(name), info.shape(), info.dtype());
  }
}
