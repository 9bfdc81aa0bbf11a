package io.bitsweep.kld;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Ranks configurations by mean KLD and marks the Pareto front over (size, mean KLD), lower being
 * better for both. Every order is total, so the result does not depend on the input order.
 */
public final class Leaderboard {
  private Leaderboard() {}

  /** The ranking order: mean KLD, then size, then config id, all ascending. */
  public static final Comparator<LeaderboardEntry> RANK_ORDER =
      Comparator.comparingDouble((LeaderboardEntry entry) -> entry.stats().meanKld())
          .thenComparingLong(LeaderboardEntry::sizeBytes)
          .thenComparing(LeaderboardEntry::configId);

  /** The Pareto sweep order: size, then mean KLD, then config id, all ascending. */
  private static final Comparator<LeaderboardEntry> SIZE_ORDER =
      Comparator.comparingLong(LeaderboardEntry::sizeBytes)
          .thenComparingDouble(entry -> entry.stats().meanKld())
          .thenComparing(LeaderboardEntry::configId);

  /**
   * Returns one row per configuration in rank order, rank 1 first, with the Pareto flag set.
   *
   * @throws IllegalArgumentException if two entries share a config id
   */
  public static List<LeaderboardRow> rank(Collection<LeaderboardEntry> entries) {
    checkUniqueIds(entries);
    Set<String> front = paretoFront(entries);
    List<LeaderboardEntry> ranked = new ArrayList<>(entries);
    ranked.sort(RANK_ORDER);
    List<LeaderboardRow> rows = new ArrayList<>(ranked.size());
    for (int i = 0; i < ranked.size(); i++) {
      LeaderboardEntry entry = ranked.get(i);
      rows.add(LeaderboardRow.of(i + 1, entry, front.contains(entry.configId())));
    }
    return rows;
  }

  /**
   * Returns the ids of the configurations on the Pareto front: those that no other configuration
   * weakly dominates, that is, none is at most as large with at most the same mean KLD. Of several
   * configurations with equal size and equal mean KLD, only the smallest config id is on the front.
   */
  public static SortedSet<String> paretoFront(Collection<LeaderboardEntry> entries) {
    checkUniqueIds(entries);
    List<LeaderboardEntry> bySize = new ArrayList<>(entries);
    bySize.sort(SIZE_ORDER);
    SortedSet<String> front = new TreeSet<>();
    double bestKld = Double.POSITIVE_INFINITY;
    for (LeaderboardEntry entry : bySize) {
      // Every earlier entry is at most as large, so this one is on the front only if it beats
      // all of them on mean KLD.
      if (entry.stats().meanKld() < bestKld) {
        front.add(entry.configId());
        bestKld = entry.stats().meanKld();
      }
    }
    return Collections.unmodifiableSortedSet(front);
  }

  private static void checkUniqueIds(Collection<LeaderboardEntry> entries) {
    Set<String> seen = new HashSet<>();
    for (LeaderboardEntry entry : entries) {
      if (!seen.add(entry.configId())) {
        throw new IllegalArgumentException(
            "Cannot rank configurations: config id "
                + entry.configId()
                + " appears twice, expected one entry per configuration");
      }
    }
  }
}
