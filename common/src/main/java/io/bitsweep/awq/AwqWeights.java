package io.bitsweep.awq;

import io.bitsweep.awq.AwqUnit.Previous;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.DerivedWeights;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The full-precision weights of a configuration with its AWQ scales applied, under the upstream
 * (Hugging Face) names: for every unit the configuration turns on and whose search found scales
 * {@code s}, the readers' columns are multiplied by {@code s} and the previous operation absorbs
 * {@code 1/s} (see {@link AwqTransforms} for the exact arithmetic). Every other tensor passes
 * through from the origin unchanged. Quantization is not applied here.
 *
 * <p>Two consumers:
 *
 * <ul>
 *   <li>Evaluation: {@code new FakeQuantWeights(new AwqWeights(...), plan, cache)} fake-quantizes
 *       the scaled readers, so the unchanged forward pass computes what the written MLX model
 *       computes.
 *   <li>The MLX writer, through {@link #writerTransform}: this source gives, for each tensor,
 *       values that are exact in its checkpoint dtype (except zero-centred norms, below), so
 *       quantizing them with MLX's affine quantizer gives the codes, scales and biases the
 *       evaluation used, and unquantized tensors are stored without further rounding. Zero-centred
 *       norm weights are returned as {@code w' = m' - 1} in fp32, where {@code m'} is the folded
 *       multiplier in the checkpoint dtype; a writer that stores them shifted must compute {@code
 *       w' + 1} in fp32 before rounding, which gives {@code m'} exactly.
 * </ul>
 *
 * <p>The contract holds only when both consumers use the same checkpoint, plan and {@link
 * ActivationStats} (the stored {@code activation_stats} table, compare {@link
 * ActivationStats#fingerprint()}). The search uses only operations whose results Java fixes ({@link
 * StrictMath}, fixed-order sums, MLX's quantizer), so it should give the same scales on every
 * machine. NOTE: that has been checked on one x86-64 machine only, not across machines.
 *
 * <p>Scales are searched lazily, on the first read of a tensor of the unit, and shared through the
 * {@link AwqScaleCache}.
 */
public final class AwqWeights implements DerivedWeights {
  private final WeightSource origin;
  private final ActivationStats stats;
  private final AwqScaleCache cache;
  private final AwqPlan awqPlan;
  private final AwqProblems problems;
  private final Map<String, Roles> roles = new HashMap<>();

  /** The units a tensor takes part in; null fields mean none. */
  private record Roles(AwqUnit readerOf, AwqUnit rowsOf, AwqUnit normOf) {
    Roles with(AwqUnit unit, String name) {
      if (unit.previous().equals(name)) {
        return unit.previousKind() == Previous.LINEAR_ROWS
            ? new Roles(readerOf, unit, normOf)
            : new Roles(readerOf, rowsOf, unit);
      }
      return new Roles(unit, rowsOf, normOf);
    }
  }

  /** The derivation of one tensor; each field is null when that step does not apply. */
  private record Derivation(float[] rowDivisors, float[] columnScales, AwqUnit norm, float[] s) {}

  /**
   * Wraps the checkpoint's weights for one configuration.
   *
   * @param config the model
   * @param origin the unquantized checkpoint weights
   * @param plan the configuration resolved against the checkpoint
   * @param stats activation statistics of this model, or null when none were recorded
   * @param cache search results shared by every configuration over {@code origin} and {@code stats}
   * @throws IllegalStateException when the plan requests AWQ and {@code stats} is null
   * @throws IllegalArgumentException when the statistics lack an input the plan needs
   * @throws UnsupportedOperationException when the plan requests AWQ where no unit applies
   */
  public AwqWeights(
      ModelConfig config,
      WeightSource origin,
      QuantPlan plan,
      ActivationStats stats,
      AwqScaleCache cache) {
    this.origin = origin;
    this.stats = stats;
    this.cache = cache;
    this.awqPlan = AwqPlan.of(config, plan, origin);
    if (!awqPlan.active().isEmpty() && stats == null) {
      throw new IllegalStateException(missingStatsMessage(plan, awqPlan));
    }
    this.problems = new AwqProblems(origin, stats, awqPlan);
    for (AwqUnit unit : awqPlan.active()) {
      problems.checkStats(unit);
      List<String> touched = new ArrayList<>(unit.readers());
      touched.add(unit.previous());
      for (String name : touched) {
        roles.put(name, roles.getOrDefault(name, new Roles(null, null, null)).with(unit, name));
      }
    }
  }

  /**
   * Returns a transform for the MLX writer's {@code weightTransform} option: it wraps the
   * checkpoint's weights in AwqWeights for {@code plan}, with a cache of its own.
   *
   * @param stats the statistics the sweep evaluated the configuration with
   */
  public static UnaryOperator<WeightSource> writerTransform(
      ModelConfig config, QuantPlan plan, ActivationStats stats) {
    return origin -> new AwqWeights(config, origin, plan, stats, new AwqScaleCache());
  }

  private static String missingStatsMessage(QuantPlan plan, AwqPlan awqPlan) {
    return "Configuration "
        + plan.config().id()
        + " ("
        + plan.config().label()
        + ") requests AWQ on "
        + awqPlan.describe()
        + ", but no activation statistics were given; run `bitsweep reference` first, which"
        + " records activation statistics";
  }

  /** Returns the units this configuration turns on, in application order. */
  public List<AwqUnit> activeUnits() {
    return awqPlan.active();
  }

  /** Returns the search result of an active unit, searching on first use. */
  public AwqResult result(AwqUnit unit) {
    return cache.get(
        origin,
        stats,
        awqPlan.searchKey(unit),
        () -> problems.search(unit, cache.options(), this::result));
  }

  /**
   * Returns a description of what decides the tensor's derived values, without searching: the
   * search keys of the active units it takes part in, or the empty string. Configurations over the
   * same statistics with equal descriptions derive the tensor identically.
   */
  public String transformSignature(String name) {
    Roles r = roles.get(name);
    if (r == null) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    for (AwqUnit unit : new AwqUnit[] {r.rowsOf(), r.readerOf(), r.normOf()}) {
      if (unit != null) {
        parts.add(awqPlan.searchKey(unit));
      }
    }
    return String.join("; ", parts);
  }

  @Override
  public WeightSource origin() {
    return origin;
  }

  @Override
  public String transformKey(String name) {
    Derivation d = derivation(name);
    if (d == null) {
      return "";
    }
    StringBuilder key = new StringBuilder();
    if (d.rowDivisors() != null) {
      key.append("rows/").append(AwqTransforms.key(d.rowDivisors())).append(' ');
    }
    if (d.columnScales() != null) {
      key.append("columns*").append(AwqTransforms.key(d.columnScales())).append(' ');
    }
    if (d.s() != null) {
      key.append("norm/").append(AwqTransforms.key(d.s()));
    }
    return key.toString().trim();
  }

  /** Returns how a tensor is derived, searching its units if needed; null when unchanged. */
  private Derivation derivation(String name) {
    Roles r = roles.get(name);
    if (r == null) {
      return null;
    }
    float[] rows = r.rowsOf() == null ? null : result(r.rowsOf()).scales();
    float[] columns = r.readerOf() == null ? null : result(r.readerOf()).scales();
    float[] norm = r.normOf() == null ? null : result(r.normOf()).scales();
    if (rows == null && columns == null && norm == null) {
      return null;
    }
    return new Derivation(rows, columns, norm == null ? null : r.normOf(), norm);
  }

  @Override
  public TensorInfo info(String name) {
    return origin.info(name);
  }

  @Override
  public boolean contains(String name) {
    return origin.contains(name);
  }

  @Override
  public float[] read(String name) {
    Derivation d = derivation(name);
    if (d == null) {
      return origin.read(name);
    }
    TensorInfo info = origin.info(name);
    if (d.s() != null) {
      return AwqTransforms.foldNorm(
          origin.read(name), d.s(), d.norm().previousKind(), info.dtype());
    }
    return deriveRows(d, origin.read(name).clone(), 0, info);
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    Derivation d = derivation(name);
    if (d == null) {
      origin.readRows(name, firstRow, rowCount, dst, dstOffset);
      return;
    }
    TensorInfo info = origin.info(name);
    int columns = Math.toIntExact(info.lastDim());
    float[] rows;
    if (d.s() != null) {
      float[] folded = read(name);
      rows =
          Arrays.copyOfRange(
              folded,
              Math.toIntExact(firstRow * columns),
              Math.toIntExact((firstRow + rowCount) * columns));
    } else {
      rows = new float[rowCount * columns];
      origin.readRows(name, firstRow, rowCount, rows, 0);
      rows = deriveRows(d, rows, firstRow, info);
    }
    System.arraycopy(rows, 0, dst, dstOffset, rows.length);
  }

  /** Divides rows and scales columns of a matrix slice starting at {@code firstRow}. */
  private static float[] deriveRows(Derivation d, float[] rows, long firstRow, TensorInfo info) {
    int columns = Math.toIntExact(info.lastDim());
    if (d.rowDivisors() != null) {
      AwqTransforms.divideRows(rows, columns, d.rowDivisors(), firstRow);
    }
    return d.columnScales() == null
        ? AwqTransforms.round(rows, info.dtype())
        : AwqTransforms.scaleColumns(rows, d.columnScales(), info.dtype());
  }

  @Override
  public void observeInput(String tensorName, float[] x, int rows, int cols) {
    origin.observeInput(tensorName, x, rows, cols);
  }
}
