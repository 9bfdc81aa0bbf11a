package io.bitsweep.jobs;

import io.bitsweep.kld.LeaderboardRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses a configuration from the leaderboard: the lowest mean KLD within a size budget (bytes or
 * bits per weight), or a given rank, and explains the choice by its neighbours on the Pareto
 * front.
 *
 * @param maxBytes largest MLX model size allowed, or 0 for no limit
 * @param maxBpw largest bits per weight allowed, or 0 for no limit
 * @param rank the rank to take, or 0 to choose by budget
 */
public record Selection(long maxBytes, double maxBpw, int rank) {
  /**
   * Bits-per-weight budget of {@code run} and {@code select} when none is given. It is the cost of
   * a 4-bit weight with group size 64 (4 bits plus a 16-bit scale and bias per 64 weights).
   */
  public static final double DEFAULT_MAX_BPW = 4.5;

  public Selection {
    if (maxBytes < 0) {
      throw new IllegalArgumentException(
          "Invalid --max-bytes " + maxBytes + ": expected a size in bytes, or 0 for no limit");
    }
    if (!(maxBpw >= 0) || Double.isInfinite(maxBpw)) {
      throw new IllegalArgumentException(
          "Invalid --max-bpw " + maxBpw + ": expected bits per weight, or 0 for no limit");
    }
    if (rank < 0) {
      throw new IllegalArgumentException(
          "Invalid --rank " + rank + ": expected a rank from 1, or 0 to select by budget");
    }
    if (rank > 0 && (maxBytes > 0 || maxBpw > 0)) {
      throw new IllegalArgumentException("Pass either --rank or a budget (--max-bytes, --max-bpw), not both");
    }
  }

  /**
   * Returns the chosen entry.
   *
   * @throws IllegalArgumentException when nothing fits, naming the smallest configuration
   */
  public LeaderboardTable.Entry choose(List<LeaderboardTable.Entry> leaderboard) {
    if (rank > 0) {
      for (LeaderboardTable.Entry entry : leaderboard) {
        if (entry.row().rank() == rank) {
          return entry;
        }
      }
      throw new IllegalArgumentException(
          String.format(Locale.ROOT, "Invalid --rank %d: the leaderboard has ranks 1 to %d", rank, leaderboard.size()));
    }
    LeaderboardTable.Entry smallest = leaderboard.get(0);
    for (LeaderboardTable.Entry entry : leaderboard) {
      if (entry.row().sizeBytes() < smallest.row().sizeBytes()) {
        smallest = entry;
      }
      if (fits(entry.row())) {
        return entry; // rank order: the first that fits has the lowest mean KLD
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "No configuration fits the budget (%s); the smallest is %s at %d bytes, %.3f bits per"
                + " weight; raise the budget or sweep lower-bit configurations",
            budget(),
            smallest.row().configId(),
            smallest.row().sizeBytes(),
            smallest.row().bitsPerWeight()));
  }

  private boolean fits(LeaderboardRow row) {
    return fits(row.sizeBytes(), row.bitsPerWeight());
  }

  private boolean fits(long sizeBytes, double bitsPerWeight) {
    return (maxBytes == 0 || sizeBytes <= maxBytes) && (maxBpw == 0 || bitsPerWeight <= maxBpw);
  }

  /**
   * The exact MLX size of one configuration, known before the sweep.
   *
   * @param label the configuration's label
   * @param sizeBytes MLX model size in bytes
   * @param bitsPerWeight bits per weight of that size
   */
  public record Size(String label, long sizeBytes, double bitsPerWeight) {}

  /**
   * Checks before a sweep that this selection can choose one of {@code sizes}: the rank is at most
   * their number, or at least one of them fits the budget.
   *
   * @throws IllegalArgumentException naming the rank or the budget and the smallest configuration
   */
  public void checkReachable(List<Size> sizes) {
    if (sizes.isEmpty()) {
      throw new IllegalArgumentException("No configurations to select from; add some to the spec");
    }
    if (rank > 0) {
      if (rank > sizes.size()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Invalid --rank %d: the sweep has %d configurations, so ranks 1 to %d",
                rank,
                sizes.size(),
                sizes.size()));
      }
      return;
    }
    Size smallest = sizes.get(0);
    for (Size size : sizes) {
      if (fits(size.sizeBytes(), size.bitsPerWeight())) {
        return;
      }
      if (size.sizeBytes() < smallest.sizeBytes()) {
        smallest = size;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "No configuration of the sweep fits the budget (%s); the smallest is %s at %d bytes,"
                + " %.3f bits per weight; raise the budget or add lower-bit configurations",
            budget(),
            smallest.label(),
            smallest.sizeBytes(),
            smallest.bitsPerWeight()));
  }

  private String budget() {
    List<String> parts = new ArrayList<>();
    if (maxBytes > 0) {
      parts.add(String.format(Locale.ROOT, "max %d bytes", maxBytes));
    }
    if (maxBpw > 0) {
      parts.add(String.format(Locale.ROOT, "max %.3f bits per weight", maxBpw));
    }
    return parts.isEmpty() ? "no limit" : String.join(", ", parts);
  }

  /** Explains a choice: the budget, and the Pareto-front neighbours just smaller and larger. */
  public String explain(LeaderboardTable.Entry chosen, List<LeaderboardTable.Entry> leaderboard) {
    LeaderboardRow c = chosen.row();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "chosen: rank %d %s (%s): %.2f MB, %.3f bpw, mean KLD %.6f ± %.6f, p99 %.5f, top-1 %.2f%%%n",
            c.rank(),
            c.configId(),
            c.label(),
            c.sizeBytes() / 1e6,
            c.bitsPerWeight(),
            c.meanKld(),
            c.kldStandardError(),
            c.p99Kld(),
            100 * c.top1Agreement()));
    out.append(rank > 0 ? "rule: --rank " + rank : "rule: lowest mean KLD within " + budget()).append('\n');
    LeaderboardRow below = null;
    LeaderboardRow above = null;
    for (LeaderboardTable.Entry entry : leaderboard) {
      LeaderboardRow r = entry.row();
      if (!r.pareto() || r.configId().equals(c.configId())) {
        continue;
      }
      if (r.sizeBytes() <= c.sizeBytes() && (below == null || r.sizeBytes() > below.sizeBytes())) {
        below = r;
      }
      if (r.sizeBytes() > c.sizeBytes() && (above == null || r.sizeBytes() < above.sizeBytes())) {
        above = r;
      }
    }
    out.append(neighbour("smaller on the Pareto front", below, c));
    out.append(neighbour("larger on the Pareto front", above, c));
    if (!c.pareto()) {
      out.append("note: the chosen configuration is not on the Pareto front itself\n");
    }
    return out.toString();
  }

  private static String neighbour(String what, LeaderboardRow r, LeaderboardRow chosen) {
    if (r == null) {
      return what + ": none\n";
    }
    return String.format(
        Locale.ROOT,
        "%s: rank %d %s (%s): %+.2f MB, mean KLD %.6f (%+.1f%%)%n",
        what,
        r.rank(),
        r.configId(),
        r.label(),
        (r.sizeBytes() - chosen.sizeBytes()) / 1e6,
        r.meanKld(),
        chosen.meanKld() == 0 ? 0 : 100 * (r.meanKld() - chosen.meanKld()) / chosen.meanKld());
  }
}
