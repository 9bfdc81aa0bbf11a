package io.bitsweep.kld;

/**
 * The comparison of a quantized model Q with the bf16 reference P at one position.
 *
 * @param kld KL(P || Q) in nats (a lower bound when P is stored in top-k form), >= 0
 * @param referenceTargetLogProb log p(target) under P
 * @param quantizedTargetLogProb log q(target) under Q, rounded to float32 like the reference
 * @param top1Agrees whether the most probable tokens of P and Q are the same
 */
public record PositionResult(
    double kld, float referenceTargetLogProb, float quantizedTargetLogProb, boolean top1Agrees) {

  /** Validates the ranges. */
  public PositionResult {
    if (!(kld >= 0)) {
      throw new IllegalArgumentException(
          "Invalid position result: KLD is " + kld + ", expected a value >= 0");
    }
    if (!(referenceTargetLogProb <= 0) || !(quantizedTargetLogProb <= 0)) {
      throw new IllegalArgumentException(
          "Invalid position result: target log-probabilities are "
              + referenceTargetLogProb
              + " (reference) and "
              + quantizedTargetLogProb
              + " (quantized), expected values <= 0");
    }
  }

  /** Returns Δp = q(target) - p(target), the change in the target token's probability. */
  public double deltaP() {
    return Math.exp(quantizedTargetLogProb) - Math.exp(referenceTargetLogProb);
  }
}
