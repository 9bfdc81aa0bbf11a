package io.bitsweep.kld;

import java.util.Arrays;

/**
 * The sampled-tail form of a reference distribution P: the top-k form plus m tokens drawn from the
 * rest R (the tokens outside the top k) with their float32 log-probabilities. Its KLD is an
 * unbiased estimate of the full KL(P || Q), where the top-k form alone gives a lower bound.
 *
 * <p>The full divergence splits exactly into the top-k form's bucket divergence and the part the
 * buckets hide: KL(P || Q) = sum_top p_i log(p_i / q_i) + p_R log(p_R / q_R) + p_R KL(P_R || Q_R),
 * where P_R and Q_R are P and Q restricted to R and renormalized. For x in R let r(x) = q_R(x) /
 * p_R(x), the ratio of the renormalized probabilities. Since Q_R sums to 1 over R, E_{P_R}[r] = 1,
 * so KL(P_R || Q_R) = E_{P_R}[r - 1 - log r]. This form estimates that expectation by the mean of
 * r - 1 - log r over the sampled tokens. Each term is at least 0, so every per-position KLD is at
 * least 0 and feeds the quantile sketch without clamping. Each term is also of second order in log
 * r, so when Q is close to P its variance is far below that of the mean of -log r.
 *
 * <p>The tokens are drawn by systematic sampling of P_R in token id order ({@link
 * LogitsRow#systematicSample}). The first point comes from a hash of the stored top-k form, so the
 * reference job always stores the same tokens for the same logits. Over a uniform first point the
 * estimate is unbiased, and the hash takes the place of that uniform draw. Identical logits give
 * r = 1 at every sampled token and a KLD of exactly 0.
 *
 * <p>Arrays are copied on the way in and out.
 *
 * @param top the top-k form, with a rest mass above 0
 * @param tailIds the sampled rest tokens, in ascending id order, repeated when a token was drawn
 *     several times
 * @param tailLogProbs log p of each sampled token (not renormalized to the rest)
 */
public record SampledTailDistribution(TopKDistribution top, int[] tailIds, float[] tailLogProbs)
    implements ReferenceDistribution {

  /** Validates the sample against the top-k form. */
  public SampledTailDistribution {
    if (top == null) {
      throw new IllegalArgumentException(
          "Invalid sampled-tail distribution: top-k form is missing");
    }
    tailIds = tailIds.clone();
    tailLogProbs = tailLogProbs.clone();
    if (tailIds.length == 0 || tailIds.length != tailLogProbs.length) {
      throw new IllegalArgumentException(
          "Invalid sampled-tail distribution: "
              + tailIds.length
              + " tail token ids and "
              + tailLogProbs.length
              + " tail log-probabilities, expected the same positive count");
    }
    if (top.logRestMass() == Float.NEGATIVE_INFINITY) {
      throw new IllegalArgumentException(
          "Invalid sampled-tail distribution: the rest has no mass, so there is no tail to sample;"
              + " store the top-k form instead");
    }
    checkTail(top, tailIds, tailLogProbs);
  }

  /**
   * Builds the sampled-tail form of softmax(row) from its top-k form, drawing {@code m} rest
   * tokens.
   *
   * @param top the top-k form of the same row, with a rest mass above 0
   */
  public static SampledTailDistribution of(LogitsRow row, TopKDistribution top, int m) {
    int[] ids = row.systematicSample(top.tokenIds(), m, firstPoint(top));
    float[] logProbs = new float[m];
    for (int j = 0; j < m; j++) {
      logProbs[j] = row.storedLogProb(ids[j]);
    }
    return new SampledTailDistribution(top, ids, logProbs);
  }

  /** Returns m, the number of sampled rest tokens. */
  public int tailSamples() {
    return tailIds.length;
  }

  @Override
  public int[] tailIds() {
    return tailIds.clone();
  }

  @Override
  public float[] tailLogProbs() {
    return tailLogProbs.clone();
  }

  @Override
  public int argmax() {
    return top.argmax();
  }

  /**
   * Returns the bucket KL divergence of the top-k form plus p_R times the sample mean of r - 1 -
   * log r. It costs O(k + m) after the row's summary, or O(vocab) when the quantized rest mass is
   * tiny (see {@link LogitsRow#logMassExcluding}).
   */
  @Override
  public double kld(LogitsRow quantized) {
    float logQRest = top.quantizedLogRestMass(quantized);
    if (logQRest == Float.NEGATIVE_INFINITY) {
      return Double.POSITIVE_INFINITY; // P has mass on the rest and Q has none there.
    }
    double logPRest = top.logRestMass();
    double tailSum = 0;
    for (int j = 0; j < tailIds.length; j++) {
      // log r = log q_R(x) - log p_R(x), both renormalized to the rest.
      double logRatio =
          ((double) quantized.storedLogProb(tailIds[j]) - logQRest)
              - ((double) tailLogProbs[j] - logPRest);
      tailSum += Math.expm1(logRatio) - logRatio;
    }
    double tailKld = tailSum / tailIds.length;
    return Math.max(0, top.bucketKld(quantized, logQRest) + Math.exp(logPRest) * tailKld);
  }

  @Override
  public long storedBytes() {
    return ReferenceEncoding.sampledTailBytesPerPosition(top.topK(), tailIds.length);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SampledTailDistribution that
        && top.equals(that.top)
        && Arrays.equals(tailIds, that.tailIds)
        && Arrays.equals(tailLogProbs, that.tailLogProbs);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * top.hashCode() + Arrays.hashCode(tailIds)) + Arrays.hashCode(tailLogProbs);
  }

  @Override
  public String toString() {
    return "SampledTailDistribution[top="
        + top
        + ", tailIds="
        + Arrays.toString(tailIds)
        + ", tailLogProbs="
        + Arrays.toString(tailLogProbs)
        + "]";
  }

  /**
   * Returns the first sampling point in [0, 1): the SplitMix64 finalizer applied to a running mix
   * of the top-k ids, log-probabilities and log rest mass.
   */
  static double firstPoint(TopKDistribution top) {
    long mix = Float.floatToIntBits(top.logRestMass());
    int[] ids = top.tokenIds();
    float[] logProbs = top.logProbs();
    for (int j = 0; j < ids.length; j++) {
      mix = mix * 0x9E3779B97F4A7C15L + ids[j];
      mix = mix * 0x9E3779B97F4A7C15L + Float.floatToIntBits(logProbs[j]);
    }
    mix ^= mix >>> 30;
    mix *= 0xBF58476D1CE4E5B9L;
    mix ^= mix >>> 27;
    mix *= 0x94D049BB133111EBL;
    mix ^= mix >>> 31;
    return (mix >>> 11) * 0x1.0p-53;
  }

  private static void checkTail(TopKDistribution top, int[] tailIds, float[] tailLogProbs) {
    int[] topIds = top.tokenIds();
    Arrays.sort(topIds);
    float bound = top.lastLogProb();
    for (int j = 0; j < tailIds.length; j++) {
      if (tailIds[j] < 0 || Arrays.binarySearch(topIds, tailIds[j]) >= 0) {
        throw new IllegalArgumentException(
            "Invalid sampled-tail distribution: tail token id "
                + tailIds[j]
                + " is negative or one of the top-k tokens, expected a token of the rest");
      }
      float logP = tailLogProbs[j];
      if (!(logP <= bound) || logP == Float.NEGATIVE_INFINITY) {
        throw new IllegalArgumentException(
            "Invalid sampled-tail distribution: tail log-probability "
                + j
                + " is "
                + logP
                + ", expected a finite value <= "
                + bound
                + " (the k-th top token's), so the stored row is corrupt");
      }
    }
  }
}
