package io.bitsweep.awq;

import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.tensor.DType;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AWQ grid search of mlx-lm's {@code search_best_scale} ({@code mlx_lm/quant/awq.py} at commit
 * {@code 03617f5}), for one unit. With {@code x̄ = mean|x|} per input channel and ratios {@code r =
 * k / n}, {@code k = 0 .. n - 1}: {@code s = max(x̄^r, minScale)}, then {@code s /= sqrt(max(s) ·
 * min(s))}. Each candidate is scored by the squared output error of every reader over the sampled
 * input rows X,
 *
 * <pre>  Σ_readers ||X · Wᵀ − (X · f(s)) · Q(dtype(W · s))ᵀ||² / rows</pre>
 *
 * where Q fake-quantizes with the reader's own setting (identity for unquantized readers) and
 * {@code f(s)} is the change of the input per channel, {@code 1/s} up to the rounding of the folded
 * norm. The best ratio wins only if its error is strictly below that of plain quantization, {@code
 * Q(W)} with the input unchanged; otherwise the unit stays unscaled. Powers use {@link StrictMath}
 * and the errors {@link OutputError}, so the result is the same on every machine.
 *
 * <p>mlx-lm scores the output of the whole attention or MLP block instead, which needs the block
 * rerun per candidate; the readers' outputs need only the recorded inputs. mlx-lm also clips
 * weights after scaling, which bitsweep does not do.
 */
public final class AwqSearch {
  private static final Logger LOG = LoggerFactory.getLogger(AwqSearch.class);

  /**
   * Search options.
   *
   * @param gridSize number of ratios tried, {@code n_grid} in mlx-lm (20 there)
   * @param minScale lower bound on {@code x̄^r} before normalising (1e-4 in mlx-lm)
   */
  public record Options(int gridSize, double minScale) {
    /** mlx-lm's defaults: 20 ratios, scales at least 1e-4. */
    public static final Options DEFAULTS = new Options(20, 1e-4);

    public Options {
      if (gridSize < 1) {
        throw new IllegalArgumentException(
            "Options.gridSize: expected 1 or more, found " + gridSize);
      }
      if (!(minScale > 0)) {
        throw new IllegalArgumentException("Options.minScale: expected > 0, found " + minScale);
      }
    }
  }

  /**
   * One reader of the unit's input.
   *
   * @param tensor its upstream name
   * @param weight its full-precision weight {@code [outFeatures, in]} as the unit receives it
   *     (after earlier units' row division), row-major
   * @param outFeatures its number of rows
   * @param dtype its checkpoint dtype: scaled weights, scales and biases are rounded to it
   * @param setting how it is stored: affine or unquantized
   */
  public record Member(
      String tensor, float[] weight, int outFeatures, DType dtype, QuantSetting setting) {}

  /**
   * The inputs of one search.
   *
   * @param unit the unit
   * @param sampleRows sampled input rows {@code [rows, in]}, row-major
   * @param meanAbs mean {@code |x|} per input channel
   * @param members every reader of the input, projections then companions
   * @param inputFactors maps scales {@code s} to the factor by which each input channel changes
   */
  public record Problem(
      AwqUnit unit,
      float[] sampleRows,
      float[] meanAbs,
      List<Member> members,
      UnaryOperator<float[]> inputFactors) {
    public Problem {
      int in = meanAbs.length;
      if (in == 0 || sampleRows.length % in != 0 || sampleRows.length == 0) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Cannot search AWQ scales for %s: expected sample rows of %d channels, found %d"
                    + " values; record activation statistics with sample rows",
                unit.label(),
                in,
                sampleRows.length));
      }
      for (float v : meanAbs) {
        if (!(v >= 0) || Float.isInfinite(v)) {
          throw new IllegalArgumentException(
              "Cannot search AWQ scales for "
                  + unit.label()
                  + ": mean |x| holds "
                  + v
                  + "; expected finite values of 0 or more");
        }
      }
      for (Member member : members) {
        if (member.weight().length != (long) member.outFeatures() * in) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "Cannot search AWQ scales for %s: %s has %d values, expected %d x %d",
                  unit.label(),
                  member.tensor(),
                  member.weight().length,
                  member.outFeatures(),
                  in));
        }
      }
      members = List.copyOf(members);
    }

    int rows() {
      return sampleRows.length / meanAbs.length;
    }
  }

  private final Options options;

  public AwqSearch(Options options) {
    this.options = options;
  }

  /** Runs the search. */
  public AwqResult search(Problem problem) {
    double plain = loss(problem, null);
    double best = Double.POSITIVE_INFINITY;
    double bestRatio = 0;
    float[] bestScales = null;
    for (int k = 0; k < options.gridSize(); k++) {
      double ratio = (double) k / options.gridSize();
      float[] s = scales(problem.meanAbs(), ratio, options.minScale());
      double loss = loss(problem, s);
      if (loss < best) {
        best = loss;
        bestRatio = ratio;
        bestScales = s;
      }
    }
    AwqResult result =
        new AwqResult(
            problem.unit(),
            best < plain ? bestScales : null,
            bestRatio,
            plain,
            best,
            problem.rows());
    LOG.debug("AWQ {}", result);
    return result;
  }

  /** Returns {@code s = max(x̄^ratio, minScale) / sqrt(max(s) · min(s))}. */
  public static float[] scales(float[] meanAbs, double ratio, double minScale) {
    double[] raw = new double[meanAbs.length];
    double max = 0;
    double min = Double.POSITIVE_INFINITY;
    for (int c = 0; c < raw.length; c++) {
      raw[c] = Math.max(StrictMath.pow(meanAbs[c], ratio), minScale);
      max = Math.max(max, raw[c]);
      min = Math.min(min, raw[c]);
    }
    double norm = StrictMath.sqrt(max * min);
    float[] s = new float[raw.length];
    for (int c = 0; c < raw.length; c++) {
      s[c] = (float) (raw[c] / norm);
    }
    return s;
  }

  /** Returns the summed squared output error per row with scales {@code s} (null: plain). */
  static double loss(Problem problem, float[] s) {
    int in = problem.meanAbs().length;
    int rows = problem.rows();
    float[] factors = s == null ? null : problem.inputFactors().apply(s);
    double total = 0;
    for (Member member : problem.members()) {
      float[] stored = storedValues(member, s);
      float[] error = new float[stored.length];
      for (int j = 0; j < member.outFeatures(); j++) {
        for (int i = 0; i < in; i++) {
          int at = j * in + i;
          float applied = factors == null ? stored[at] : stored[at] * factors[i];
          error[at] = member.weight()[at] - applied;
        }
      }
      total +=
          OutputError.squaredError(problem.sampleRows(), rows, error, member.outFeatures(), in);
    }
    return total / rows;
  }

  /**
   * Returns what the model computes with for a reader: its weight scaled by {@code s} (or not),
   * rounded to its dtype, then fake-quantized with its setting when that quantizes.
   */
  static float[] storedValues(Member member, float[] s) {
    float[] stored =
        s == null
            ? AwqTransforms.round(member.weight(), member.dtype())
            : AwqTransforms.scaleColumns(member.weight(), s, member.dtype());
    if (!member.setting().isQuantized()) {
      return stored;
    }
    int in = stored.length / member.outFeatures();
    return AffineQuantizer.of(member.setting())
        .fakeQuantize(stored, new long[] {member.outFeatures(), in}, member.dtype());
  }
}
