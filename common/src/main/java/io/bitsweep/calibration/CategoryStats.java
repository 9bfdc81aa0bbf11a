package io.bitsweep.calibration;

import io.bitsweep.Counts;
import java.util.Locale;

/**
 * Counts for one category of a calibration set, or for all of them.
 *
 * @param samples the samples kept, which score at least one position
 * @param tokens their tokens, after truncation
 * @param scoredTokens their scored positions
 * @param truncated the kept samples that were cut to the maximum length
 * @param zeroScored the samples left out because they score no position
 */
public record CategoryStats(
    int samples, long tokens, long scoredTokens, int truncated, int zeroScored) {
  /** The counts of an empty category. */
  public static final CategoryStats EMPTY = new CategoryStats(0, 0, 0, 0, 0);

  public CategoryStats {
    if (samples < 0 || tokens < 0 || scoredTokens < 0 || truncated < 0 || zeroScored < 0) {
      throw new IllegalArgumentException(
          "counts must not be negative: "
              + describe(samples, tokens, scoredTokens, truncated, zeroScored));
    }
  }

  /** Returns these counts plus one kept sample. */
  CategoryStats plus(TokenizedSample sample) {
    return new CategoryStats(
        samples + 1,
        tokens + sample.length(),
        scoredTokens + sample.scoredCount(),
        truncated + (sample.truncated() ? 1 : 0),
        zeroScored);
  }

  /** Returns these counts plus one sample left out for scoring nothing. */
  CategoryStats plusZeroScored() {
    return new CategoryStats(samples, tokens, scoredTokens, truncated, zeroScored + 1);
  }

  /** Returns the sum of two counts. */
  CategoryStats plus(CategoryStats other) {
    return new CategoryStats(
        samples + other.samples,
        tokens + other.tokens,
        scoredTokens + other.scoredTokens,
        truncated + other.truncated,
        zeroScored + other.zeroScored);
  }

  @Override
  public String toString() {
    return describe(samples, tokens, scoredTokens, truncated, zeroScored);
  }

  private static String describe(
      int samples, long tokens, long scoredTokens, int truncated, int zeroScored) {
    return String.format(
        Locale.ROOT,
        "%s, %s, %d scored, %d truncated, %d left out with no scored position",
        Counts.of(samples, "sample"),
        Counts.of(tokens, "token"),
        scoredTokens,
        truncated,
        zeroScored);
  }
}
