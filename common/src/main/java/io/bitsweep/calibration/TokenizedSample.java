package io.bitsweep.calibration;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * A calibration sample as the model reads it: token ids and the positions to score.
 *
 * <p>{@code scoreMask[t]} marks the position whose output distribution predicts {@code tokenIds[t +
 * 1]}, so the last position is never scored. The arrays are not copied, so callers must not change
 * them.
 *
 * @param sampleId the sample id
 * @param category the sample's category
 * @param tokenIds the token ids, after truncation
 * @param scoreMask one flag per position: whether the prediction at that position is scored
 * @param originalLength the token count before truncation, equal to {@code tokenIds.length} when
 *     the sample fit
 */
public record TokenizedSample(
    String sampleId, String category, int[] tokenIds, boolean[] scoreMask, int originalLength) {
  public TokenizedSample {
    Objects.requireNonNull(sampleId, "sampleId");
    Objects.requireNonNull(category, "category");
    if (tokenIds.length != scoreMask.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Sample %s: scoreMask has %d entries for %d tokens; it needs one per token",
              sampleId,
              scoreMask.length,
              tokenIds.length));
    }
    if (tokenIds.length > 0 && scoreMask[tokenIds.length - 1]) {
      throw new IllegalArgumentException(
          "Sample " + sampleId + ": the last position has no next token, so it cannot be scored");
    }
    if (originalLength < tokenIds.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Sample %s: originalLength %d is less than the %d tokens kept",
              sampleId,
              originalLength,
              tokenIds.length));
    }
  }

  /** Returns the number of tokens. */
  public int length() {
    return tokenIds.length;
  }

  /** Returns the number of scored positions. */
  public int scoredCount() {
    int count = 0;
    for (boolean scored : scoreMask) {
      count += scored ? 1 : 0;
    }
    return count;
  }

  /** Returns true when tokens were cut off to fit the maximum length. */
  public boolean truncated() {
    return originalLength > tokenIds.length;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TokenizedSample that
        && sampleId.equals(that.sampleId)
        && category.equals(that.category)
        && Arrays.equals(tokenIds, that.tokenIds)
        && Arrays.equals(scoreMask, that.scoreMask)
        && originalLength == that.originalLength;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        sampleId, category, Arrays.hashCode(tokenIds), Arrays.hashCode(scoreMask), originalLength);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "TokenizedSample[%s, %s, %d tokens, %d scored%s]",
        sampleId,
        category,
        tokenIds.length,
        scoredCount(),
        truncated() ? ", truncated from " + originalLength : "");
  }
}
