package io.bitsweep.kld;

/**
 * One scored position of the reference table: the bf16 next-token distribution and the token that
 * actually came next (the target), with its bf16 log-probability.
 *
 * @param distribution the stored bf16 distribution P
 * @param targetToken the actual next token
 * @param targetLogProb log p(targetToken) under P, rounded to float32
 */
public record ReferencePosition(
    ReferenceDistribution distribution, int targetToken, float targetLogProb) {

  /** Validates the target. */
  public ReferencePosition {
    if (distribution == null) {
      throw new IllegalArgumentException("Invalid reference position: distribution is missing");
    }
    if (targetToken < 0) {
      throw new IllegalArgumentException(
          "Invalid reference position: target token is " + targetToken + ", expected >= 0");
    }
    if (!(targetLogProb <= 0)) {
      throw new IllegalArgumentException(
          "Invalid reference position: target log-probability is "
              + targetLogProb
              + ", expected a value <= 0");
    }
  }

  /**
   * Builds the reference entry for the logits row {@code logits[offset, offset + vocab)} of the
   * bf16 model, stored in the given form.
   */
  public static ReferencePosition of(
      float[] logits, int offset, int vocab, int targetToken, ReferenceEncoding encoding) {
    LogitsRow row = LogitsRow.of(logits, offset, vocab);
    ReferenceDistribution distribution = encode(row, encoding);
    return new ReferencePosition(distribution, targetToken, row.storedLogProb(targetToken));
  }

  /** Returns the distribution softmax(row) in the given form. */
  static ReferenceDistribution encode(LogitsRow row, ReferenceEncoding encoding) {
    return switch (encoding.form()) {
      case TOP_K -> TopKDistribution.of(row, encoding.topK());
      case SAMPLED_TAIL -> sampledTail(row, encoding);
      case FULL -> FullDistribution.of(row);
    };
  }

  /**
   * Returns the sampled-tail form, or the top-k form where the rest has no mass (k = vocab, or a
   * rest whose probabilities underflow): there the top-k form is already exact.
   */
  private static ReferenceDistribution sampledTail(LogitsRow row, ReferenceEncoding encoding) {
    TopKDistribution top = TopKDistribution.of(row, encoding.topK());
    if (top.logRestMass() == Float.NEGATIVE_INFINITY) {
      return top;
    }
    return SampledTailDistribution.of(row, top, encoding.tailSamples());
  }

  /** Compares a quantized model's logits row at this position with the reference. */
  public PositionResult compare(float[] logits, int offset, int vocab) {
    return compare(LogitsRow.of(logits, offset, vocab));
  }

  /** Compares a summarized quantized logits row at this position with the reference. */
  public PositionResult compare(LogitsRow quantized) {
    double kld = distribution.kld(quantized);
    float quantizedTargetLogProb = quantized.storedLogProb(targetToken);
    boolean top1Agrees = distribution.argmax() == quantized.argmax();
    return new PositionResult(kld, targetLogProb, quantizedTargetLogProb, top1Agrees);
  }
}
