package io.bitsweep.calibration;

import java.util.Objects;

/**
 * The settings that turn samples into token sequences.
 *
 * @param maxLength the maximum number of tokens per sample, at least 2 so that one position can be
 *     scored
 * @param lengthPolicy what happens to a longer sample
 * @param scoreMode which positions of a conversation are scored
 */
public record TokenizationOptions(int maxLength, LengthPolicy lengthPolicy, ScoreMode scoreMode) {
  public TokenizationOptions {
    if (maxLength < 2) {
      throw new IllegalArgumentException(
          "maxLength must be at least 2, so that one position has a next token; found "
              + maxLength);
    }
    Objects.requireNonNull(lengthPolicy, "lengthPolicy");
    Objects.requireNonNull(scoreMode, "scoreMode");
  }
}
