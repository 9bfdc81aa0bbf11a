package io.bitsweep.kld;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One row of the leaderboard table, with every column flat so that a Spark job can map it to a
 * table row directly. See {@link LeaderboardStats} for the meaning of the statistics.
 *
 * @param rank 1 for the lowest mean KLD, with ties going to the smaller size and then the smaller
 *     id
 * @param pareto whether the configuration is on the Pareto front over (size, mean KLD), see {@link
 *     Leaderboard#paretoFront}
 */
public record LeaderboardRow(
    int rank,
    String configId,
    String label,
    long sizeBytes,
    double bitsPerWeight,
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
    SortedMap<String, Double> meanKldByCategory,
    boolean pareto) {

  /** Validates the rank and copies the category map. */
  public LeaderboardRow {
    if (rank < 1) {
      throw new IllegalArgumentException(
          "Invalid leaderboard row " + configId + ": rank is " + rank + ", expected >= 1");
    }
    meanKldByCategory = Collections.unmodifiableSortedMap(new TreeMap<>(meanKldByCategory));
  }

  static LeaderboardRow of(int rank, LeaderboardEntry entry, boolean pareto) {
    LeaderboardStats stats = entry.stats();
    return new LeaderboardRow(
        rank,
        entry.configId(),
        entry.label(),
        entry.sizeBytes(),
        entry.bitsPerWeight(),
        stats.tokens(),
        stats.meanKld(),
        stats.kldStandardError(),
        stats.medianKld(),
        stats.p90Kld(),
        stats.p99Kld(),
        stats.p999Kld(),
        stats.maxKld(),
        stats.top1Agreement(),
        stats.rmsDeltaP(),
        stats.perplexityRatio(),
        stats.meanKldByCategory(),
        pareto);
  }
}
