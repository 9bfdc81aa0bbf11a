package io.bitsweep.kld;

import java.util.Arrays;

/**
 * The full form of a reference distribution P: the float32 log-probability of every token. Its KLD
 * against a quantized row is the exact KL(P || Q) at float32 log-probability precision. It costs
 * {@code 4 * vocab} bytes per position, which the top-k form exists to avoid.
 *
 * <p>The array is copied on the way in and out.
 *
 * @param logProbs log p of every token, indexed by token id
 */
public record FullDistribution(float[] logProbs) implements ReferenceDistribution {
  /** How far the stored probabilities may sum from 1 (float32 rounding is about 1e-7). */
  private static final double MASS_TOLERANCE = 1e-4;

  /** Validates that the row is a probability distribution. */
  public FullDistribution {
    logProbs = logProbs.clone();
    if (logProbs.length == 0) {
      throw new IllegalArgumentException("Invalid full distribution: no log-probabilities");
    }
    double mass = 0;
    for (int i = 0; i < logProbs.length; i++) {
      if (!(logProbs[i] <= 0)) {
        throw new IllegalArgumentException(
            "Invalid full distribution: log-probability of token "
                + i
                + " is "
                + logProbs[i]
                + ", expected a value <= 0");
      }
      mass += Math.exp(logProbs[i]);
    }
    if (Math.abs(mass - 1) > MASS_TOLERANCE) {
      throw new IllegalArgumentException(
          "Invalid full distribution: probabilities sum to "
              + mass
              + ", expected 1 within "
              + MASS_TOLERANCE
              + ", so the stored row is corrupt or was not written by the reference job");
    }
  }

  /** Builds the full form of the distribution softmax(row). */
  public static FullDistribution of(LogitsRow row) {
    float[] logProbs = new float[row.vocab()];
    for (int i = 0; i < logProbs.length; i++) {
      logProbs[i] = row.storedLogProb(i);
    }
    return new FullDistribution(logProbs);
  }

  @Override
  public float[] logProbs() {
    return logProbs.clone();
  }

  /**
   * Returns the token with the largest stored log-probability.
   *
   * <p>NOTE: two logits closer than float32 resolution of their log-probabilities tie here and go
   * to the lower id, where the argmax of the logits could pick the other one.
   */
  @Override
  public int argmax() {
    int best = 0;
    for (int i = 1; i < logProbs.length; i++) {
      if (logProbs[i] > logProbs[best]) {
        best = i;
      }
    }
    return best;
  }

  @Override
  public double kld(LogitsRow quantized) {
    if (quantized.vocab() != logProbs.length) {
      throw new IllegalArgumentException(
          "Cannot compare distributions: the reference has "
              + logProbs.length
              + " tokens but the quantized logits row has "
              + quantized.vocab()
              + ". Both models must share one vocabulary");
    }
    double sum = 0;
    for (int i = 0; i < logProbs.length; i++) {
      double logP = logProbs[i];
      if (logP != Double.NEGATIVE_INFINITY) {
        sum += Math.exp(logP) * (logP - quantized.storedLogProb(i));
      }
    }
    return Math.max(0, sum);
  }

  @Override
  public long storedBytes() {
    return ReferenceEncoding.full().bytesPerPosition(logProbs.length);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof FullDistribution that && Arrays.equals(logProbs, that.logProbs);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(logProbs);
  }

  @Override
  public String toString() {
    return "FullDistribution[vocab=" + logProbs.length + "]";
  }
}
