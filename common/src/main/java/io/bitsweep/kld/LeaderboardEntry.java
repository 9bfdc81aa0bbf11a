package io.bitsweep.kld;

/**
 * One configuration to rank: its identity, its size as written in MLX format and its statistics.
 *
 * @param configId the stable configuration id (a hash of its canonical JSON)
 * @param label a short human-readable description, for example "uniform 4-bit gs64"
 * @param sizeBytes bytes of the MLX model as written
 * @param bitsPerWeight mean bits per quantizable weight
 * @param stats the configuration's KLD statistics
 */
public record LeaderboardEntry(
    String configId, String label, long sizeBytes, double bitsPerWeight, LeaderboardStats stats) {

  /** Validates the identity and size. */
  public LeaderboardEntry {
    if (configId == null || configId.isBlank()) {
      throw new IllegalArgumentException("Invalid leaderboard entry: configId is missing");
    }
    if (label == null) {
      throw new IllegalArgumentException(
          "Invalid leaderboard entry " + configId + ": label is missing. Use \"\" for none");
    }
    if (sizeBytes < 0 || !(bitsPerWeight >= 0 && bitsPerWeight < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(
          "Invalid leaderboard entry "
              + configId
              + ": sizeBytes "
              + sizeBytes
              + " and bitsPerWeight "
              + bitsPerWeight
              + " must be finite and >= 0");
    }
    if (stats == null) {
      throw new IllegalArgumentException(
          "Invalid leaderboard entry " + configId + ": stats are missing");
    }
  }
}
