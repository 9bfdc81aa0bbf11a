package io.bitsweep.kld;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The statistics of one configuration over all scored tokens, as shown on the leaderboard.
 *
 * @param tokens the number of scored positions
 * @param meanKld mean per-token KLD in nats
 * @param kldStandardError standard error of the mean, sqrt(s^2 / n) with the per-token sample
 *     variance s^2, or 0 when there is a single token
 * @param medianKld the per-token KLD median, from the sketch
 * @param p90Kld the 90th percentile of per-token KLD, from the sketch
 * @param p99Kld the 99th percentile, from the sketch
 * @param p999Kld the 99.9th percentile, from the sketch
 * @param maxKld the largest per-token KLD, exact
 * @param top1Agreement the fraction of positions where the argmax tokens agree, in [0, 1]
 * @param rmsDeltaP sqrt(mean Δp²), Δp = q(target) - p(target)
 * @param perplexityRatio PPL(Q) / PPL(ref) = exp((sum log p(target) - sum log q(target)) / n)
 * @param meanKldByCategory mean KLD per calibration category, sorted by category
 */
public record LeaderboardStats(
    long tokens,
    double meanKld,
    double kldStandardError,
    double medianKld,
    double p90Kld,
    double p99Kld,
    double p999Kld,
    double maxKld,
    double top1Agreement,
    double rmsDeltaP,
    double perplexityRatio,
    SortedMap<String, Double> meanKldByCategory) {

  /** Validates ranges and the order of the quantiles, and copies the category map. */
  public LeaderboardStats {
    if (tokens < 1) {
      throw new IllegalArgumentException(
          "Invalid leaderboard statistics: " + tokens + " scored tokens, expected at least 1");
    }
    checkFiniteNonNegative("meanKld", meanKld);
    checkFiniteNonNegative("kldStandardError", kldStandardError);
    checkFiniteNonNegative("rmsDeltaP", rmsDeltaP);
    checkFiniteNonNegative("perplexityRatio", perplexityRatio);
    if (!(0 <= medianKld
        && medianKld <= p90Kld
        && p90Kld <= p99Kld
        && p99Kld <= p999Kld
        && p999Kld <= maxKld
        && maxKld < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(
          "Invalid leaderboard statistics: KLD median "
              + medianKld
              + ", p90 "
              + p90Kld
              + ", p99 "
              + p99Kld
              + ", p99.9 "
              + p999Kld
              + " and max "
              + maxKld
              + " must be finite, >= 0 and non-decreasing");
    }
    if (!(top1Agreement >= 0 && top1Agreement <= 1)) {
      throw new IllegalArgumentException(
          "Invalid leaderboard statistics: top1Agreement is "
              + top1Agreement
              + ", expected [0, 1]");
    }
    meanKldByCategory = Collections.unmodifiableSortedMap(new TreeMap<>(meanKldByCategory));
    meanKldByCategory.forEach(
        (category, mean) -> checkFiniteNonNegative("meanKldByCategory[" + category + "]", mean));
  }

  /**
   * Computes the leaderboard statistics of one configuration.
   *
   * @param combined the configuration's statistics over all samples, from {@link
   *     SampleStats#combine}
   * @param byCategory the configuration's statistics over the samples of each category
   * @throws IllegalArgumentException if {@code combined} or a category has no tokens
   */
  public static LeaderboardStats of(SampleStats combined, Map<String, SampleStats> byCategory) {
    long n = combined.tokens();
    if (n == 0) {
      throw new IllegalArgumentException(
          "Cannot rank a configuration with no scored tokens. Check that the results table has"
              + " rows for it");
    }
    double mean = combined.kldSum() / n;
    double max = combined.kldMax();
    SortedMap<String, Double> categoryMeans = new TreeMap<>();
    byCategory.forEach((category, stats) -> categoryMeans.put(category, meanKld(category, stats)));
    return new LeaderboardStats(
        n,
        mean,
        standardError(combined.kldSum(), combined.kldSumSquares(), n),
        clampedQuantile(combined, 0.5),
        clampedQuantile(combined, 0.9),
        clampedQuantile(combined, 0.99),
        clampedQuantile(combined, 0.999),
        max,
        (double) combined.top1Agreements() / n,
        Math.sqrt(combined.deltaPSquaresSum() / n),
        Math.exp((combined.referenceTargetLogProbSum() - combined.quantizedTargetLogProbSum()) / n),
        categoryMeans);
  }

  /** Returns sqrt(s^2 / n) with s^2 the sample variance, or 0 for a single value. */
  static double standardError(double sum, double sumSquares, long n) {
    if (n < 2) {
      return 0;
    }
    double variance = Math.max(0, (sumSquares - sum * sum / n) / (n - 1));
    return Math.sqrt(variance / n);
  }

  /**
   * Returns a sketch quantile capped at the exact max, since a bucket midpoint can lie above the
   * largest value in the bucket.
   */
  private static double clampedQuantile(SampleStats stats, double fraction) {
    return Math.min(stats.kldQuantile(fraction), stats.kldMax());
  }

  private static double meanKld(String category, SampleStats stats) {
    if (stats.tokens() == 0) {
      throw new IllegalArgumentException(
          "Cannot compute the mean KLD of category " + category + ": it has no scored tokens");
    }
    return stats.kldSum() / stats.tokens();
  }

  private static void checkFiniteNonNegative(String field, double value) {
    if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(
          "Invalid leaderboard statistics: "
              + field
              + " is "
              + value
              + ", expected a finite value >= 0");
    }
  }
}
