package io.bitsweep.kld;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The mergeable statistics of one configuration on one calibration sample: token count, KLD sum,
 * sum of squares, max and quantile sketch, top-1 agreement count, sum of Δp² and the target
 * log-probability sums used for the perplexity ratio.
 *
 * <p>Counts, max and sketch merge exactly in any order. The double sums do not, because
 * floating-point addition is not associative, so a bit-identical leaderboard needs a fixed merge
 * order: {@link #combine} merges samples in ascending sample-id order and rejects any other order.
 * Within a sample, the caller adds positions in position order.
 *
 * <p>Not thread-safe.
 */
public final class SampleStats {
  /** The sample id and category of statistics combined over several samples or categories. */
  public static final String ALL = "*";

  /** Orders statistics by sample id, the order {@link #combine} requires. */
  public static final Comparator<SampleStats> BY_SAMPLE_ID =
      Comparator.comparing(SampleStats::sampleId);

  private final String sampleId;
  private final String category;
  private long tokens;
  private double kldSum;
  private double kldSumSquares;
  private double kldMax;
  private final KldSketch sketch;
  private long top1Agreements;
  private double deltaPSquaresSum;
  private double referenceTargetLogProbSum;
  private double quantizedTargetLogProbSum;

  /** Creates empty statistics for one sample of one category. */
  public SampleStats(String sampleId, String category) {
    this(sampleId, category, new KldSketch());
  }

  private SampleStats(String sampleId, String category, KldSketch sketch) {
    if (sampleId == null || sampleId.isEmpty() || category == null || category.isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid sample statistics: sample id '"
              + sampleId
              + "' and category '"
              + category
              + "' must both be non-empty");
    }
    this.sampleId = sampleId;
    this.category = category;
    this.sketch = sketch;
  }

  /** Adds the comparison at one position. */
  public void add(PositionResult position) {
    double kld = position.kld();
    if (kld == Double.POSITIVE_INFINITY
        || position.referenceTargetLogProb() == Float.NEGATIVE_INFINITY
        || position.quantizedTargetLogProb() == Float.NEGATIVE_INFINITY) {
      throw new IllegalArgumentException(
          "Cannot add position "
              + tokens
              + " of sample "
              + sampleId
              + ": KLD "
              + kld
              + " and target log-probabilities "
              + position.referenceTargetLogProb()
              + " (reference) and "
              + position.quantizedTargetLogProb()
              + " (quantized) must be finite. Check the quantized logits for extreme values");
    }
    tokens++;
    kldSum += kld;
    kldSumSquares += kld * kld;
    kldMax = Math.max(kldMax, kld);
    sketch.record(kld);
    if (position.top1Agrees()) {
      top1Agreements++;
    }
    double deltaP = position.deltaP();
    deltaPSquaresSum += deltaP * deltaP;
    referenceTargetLogProbSum += position.referenceTargetLogProb();
    quantizedTargetLogProbSum += position.quantizedTargetLogProb();
  }

  /**
   * Adds every statistic of {@code other} to this one, keeping this sample id and category. The
   * double sums depend on the order of merges, so use {@link #combine} across samples.
   */
  public void merge(SampleStats other) {
    tokens += other.tokens;
    kldSum += other.kldSum;
    kldSumSquares += other.kldSumSquares;
    kldMax = Math.max(kldMax, other.kldMax);
    sketch.merge(other.sketch);
    top1Agreements += other.top1Agreements;
    deltaPSquaresSum += other.deltaPSquaresSum;
    referenceTargetLogProbSum += other.referenceTargetLogProbSum;
    quantizedTargetLogProbSum += other.quantizedTargetLogProbSum;
  }

  /**
   * Combines per-sample statistics in the order given, which must be strictly ascending by sample
   * id. The fixed order makes the result bit-identical however the rows were partitioned and
   * collected: sort them with {@link #BY_SAMPLE_ID} first, or call {@link #combineInSampleOrder}.
   * The result has sample id {@link #ALL}, and the shared category or {@link #ALL} when the
   * categories differ. The inputs are not changed.
   *
   * @throws IllegalArgumentException if the list is empty, out of order or repeats a sample
   */
  public static SampleStats combine(List<SampleStats> sortedBySampleId) {
    if (sortedBySampleId.isEmpty()) {
      throw new IllegalArgumentException("Cannot combine sample statistics: the list is empty");
    }
    String category = sortedBySampleId.get(0).category;
    for (int i = 1; i < sortedBySampleId.size(); i++) {
      String previous = sortedBySampleId.get(i - 1).sampleId;
      String current = sortedBySampleId.get(i).sampleId;
      if (previous.compareTo(current) >= 0) {
        throw new IllegalArgumentException(
            "Cannot combine sample statistics: sample '"
                + current
                + "' at index "
                + i
                + " follows '"
                + previous
                + "', expected strictly ascending sample ids (one row per sample, sorted"
                + " with SampleStats.BY_SAMPLE_ID)");
      }
      if (!sortedBySampleId.get(i).category.equals(category)) {
        category = ALL;
      }
    }
    SampleStats combined = new SampleStats(ALL, category);
    for (SampleStats stats : sortedBySampleId) {
      combined.merge(stats);
    }
    return combined;
  }

  /** Sorts a copy of the statistics by sample id and {@link #combine combines} them. */
  public static SampleStats combineInSampleOrder(Collection<SampleStats> stats) {
    List<SampleStats> sorted = new ArrayList<>(stats);
    sorted.sort(BY_SAMPLE_ID);
    return combine(sorted);
  }

  /** Returns the columns of the results-table row. */
  public SampleStatsRow toRow() {
    return new SampleStatsRow(
        sampleId,
        category,
        tokens,
        kldSum,
        kldSumSquares,
        kldMax,
        sketch.toBytes(),
        top1Agreements,
        deltaPSquaresSum,
        referenceTargetLogProbSum,
        quantizedTargetLogProbSum);
  }

  /**
   * Restores statistics from a results-table row, checking that its columns agree.
   *
   * @throws IllegalArgumentException naming the sample and column when a value is out of range
   */
  public static SampleStats fromRow(SampleStatsRow row) {
    KldSketch sketch = KldSketch.fromBytes(row.kldSketch());
    SampleStats stats = new SampleStats(row.sampleId(), row.category(), sketch);
    if (sketch.count() != row.tokens()) {
      throw new IllegalArgumentException(
          "Invalid results row for sample "
              + row.sampleId()
              + ": kldSketch holds "
              + sketch.count()
              + " values but tokens is "
              + row.tokens()
              + ". The row is corrupt, so recompute it");
    }
    stats.tokens = row.tokens();
    stats.kldSum = row.kldSum();
    stats.kldSumSquares = row.kldSumSquares();
    stats.kldMax = row.kldMax();
    stats.top1Agreements = row.top1Agreements();
    stats.deltaPSquaresSum = row.deltaPSquaresSum();
    stats.referenceTargetLogProbSum = row.referenceTargetLogProbSum();
    stats.quantizedTargetLogProbSum = row.quantizedTargetLogProbSum();
    return stats;
  }

  public String sampleId() {
    return sampleId;
  }

  public String category() {
    return category;
  }

  /** Returns the number of scored positions. */
  public long tokens() {
    return tokens;
  }

  public double kldSum() {
    return kldSum;
  }

  public double kldSumSquares() {
    return kldSumSquares;
  }

  /** Returns the largest per-token KLD, 0 when there are no tokens. */
  public double kldMax() {
    return kldMax;
  }

  /** Returns the nearest-rank quantile of per-token KLD from the sketch. */
  public double kldQuantile(double fraction) {
    return sketch.quantile(fraction);
  }

  public long top1Agreements() {
    return top1Agreements;
  }

  public double deltaPSquaresSum() {
    return deltaPSquaresSum;
  }

  public double referenceTargetLogProbSum() {
    return referenceTargetLogProbSum;
  }

  public double quantizedTargetLogProbSum() {
    return quantizedTargetLogProbSum;
  }

  @Override
  public String toString() {
    return "SampleStats[sampleId="
        + sampleId
        + ", category="
        + category
        + ", tokens="
        + tokens
        + "]";
  }
}
