package io.bitsweep.eval;

import java.util.Arrays;

/**
 * One calibration sample as the engine sees it.
 *
 * @param sampleId stable id of the sample
 * @param category dialogue, code, tool_call, ...
 * @param tokenIds the token ids, BOS included
 * @param scoreMask {@code scoreMask[p]} is true when the prediction made at position {@code p} (of
 *     token {@code p + 1}) is scored; the last position predicts nothing and is never scored
 */
public record ShardSample(String sampleId, String category, int[] tokenIds, boolean[] scoreMask) {
  public ShardSample {
    if (tokenIds.length == 0) {
      throw new IllegalArgumentException("Invalid sample " + sampleId + ": it has no tokens");
    }
    if (scoreMask.length != tokenIds.length) {
      throw new IllegalArgumentException(
          "Invalid sample " + sampleId + ": score mask has " + scoreMask.length
              + " entries, expected one per token (" + tokenIds.length + ")");
    }
  }

  /** Whether the prediction at {@code position} is scored (never the last position). */
  public boolean isScored(int position) {
    return position < tokenIds.length - 1 && scoreMask[position];
  }

  /** Number of scored positions. */
  public int scoredCount() {
    int count = 0;
    for (int p = 0; p < tokenIds.length; p++) {
      if (isScored(p)) {
        count++;
      }
    }
    return count;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ShardSample that
        && sampleId.equals(that.sampleId)
        && category.equals(that.category)
        && Arrays.equals(tokenIds, that.tokenIds)
        && Arrays.equals(scoreMask, that.scoreMask);
  }

  @Override
  public int hashCode() {
    return sampleId.hashCode();
  }

  @Override
  public String toString() {
    return "ShardSample[" + sampleId + ", " + category + ", " + tokenIds.length + " tokens]";
  }
}
