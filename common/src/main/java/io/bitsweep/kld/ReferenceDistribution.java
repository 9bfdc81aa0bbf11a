package io.bitsweep.kld;

/**
 * The bf16 model's next-token distribution P at one position, as stored in the reference table,
 * compared with a quantized model's logits row Q.
 *
 * <p>Every form compares at float32 log-probability precision: the quantized log-probabilities are
 * rounded to float32 like the stored reference ones, so a quantized row equal to the reference
 * logits gives a KLD of exactly 0.
 */
public sealed interface ReferenceDistribution
    permits TopKDistribution, SampledTailDistribution, FullDistribution {
  /** Returns the most probable token of P, the lowest such token id on ties. */
  int argmax();

  /**
   * Returns the KL divergence KL(P || Q) in nats for {@link FullDistribution}, its lower bound
   * over the top-k partition for {@link TopKDistribution}, or an unbiased estimate of it for {@link
   * SampledTailDistribution}. Rounding can push a sum for nearly equal distributions a few ulps
   * below zero, and such a sum is returned as 0.
   *
   * @throws IllegalArgumentException if the quantized row does not cover the stored token ids
   */
  double kld(LogitsRow quantized);

  /** Returns the bytes this distribution takes in the reference table before compression. */
  long storedBytes();
}
