package io.bitsweep.kld;

import java.util.Arrays;

/**
 * The columns of one results-table row: the statistics of one configuration on one calibration
 * sample, as {@link SampleStats} stores them. Doubles compare by bits and the sketch by content.
 *
 * @param sampleId the calibration sample, or {@link SampleStats#ALL} after combining
 * @param category the sample's category (dialogue, code, tool_call, ...), or {@link
 *     SampleStats#ALL} after combining several
 * @param tokens the number of scored positions
 * @param kldSum sum of per-token KLD in nats
 * @param kldSumSquares sum of squared per-token KLD
 * @param kldMax largest per-token KLD, 0 when there are no tokens
 * @param kldSketch the per-token KLD quantile sketch, as written by {@link KldSketch#toBytes()}
 * @param top1Agreements positions where the reference and quantized argmax tokens agree
 * @param deltaPSquaresSum sum of (q(target) - p(target))^2
 * @param referenceTargetLogProbSum sum of log p(target) under the reference
 * @param quantizedTargetLogProbSum sum of log q(target) under the quantized model
 */
public record SampleStatsRow(
    String sampleId,
    String category,
    long tokens,
    double kldSum,
    double kldSumSquares,
    double kldMax,
    byte[] kldSketch,
    long top1Agreements,
    double deltaPSquaresSum,
    double referenceTargetLogProbSum,
    double quantizedTargetLogProbSum) {

  /** Validates the ranges of the columns and copies the sketch bytes. */
  public SampleStatsRow {
    if (sampleId == null || sampleId.isEmpty() || category == null || category.isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid results row: sample id '"
              + sampleId
              + "' and category '"
              + category
              + "' must both be non-empty");
    }
    if (kldSketch == null) {
      throw new IllegalArgumentException(
          "Invalid results row for sample " + sampleId + ": kldSketch is missing");
    }
    kldSketch = kldSketch.clone();
    if (tokens < 0 || top1Agreements < 0 || top1Agreements > tokens) {
      throw new IllegalArgumentException(
          "Invalid results row for sample "
              + sampleId
              + ": tokens "
              + tokens
              + " and top1Agreements "
              + top1Agreements
              + ", expected 0 <= top1Agreements <= tokens");
    }
    checkNonNegative(sampleId, "kldSum", kldSum);
    checkNonNegative(sampleId, "kldSumSquares", kldSumSquares);
    checkNonNegative(sampleId, "kldMax", kldMax);
    checkNonNegative(sampleId, "deltaPSquaresSum", deltaPSquaresSum);
    checkNonPositive(sampleId, "referenceTargetLogProbSum", referenceTargetLogProbSum);
    checkNonPositive(sampleId, "quantizedTargetLogProbSum", quantizedTargetLogProbSum);
  }

  @Override
  public byte[] kldSketch() {
    return kldSketch.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SampleStatsRow that
        && sampleId.equals(that.sampleId)
        && category.equals(that.category)
        && tokens == that.tokens
        && sameBits(kldSum, that.kldSum)
        && sameBits(kldSumSquares, that.kldSumSquares)
        && sameBits(kldMax, that.kldMax)
        && Arrays.equals(kldSketch, that.kldSketch)
        && top1Agreements == that.top1Agreements
        && sameBits(deltaPSquaresSum, that.deltaPSquaresSum)
        && sameBits(referenceTargetLogProbSum, that.referenceTargetLogProbSum)
        && sameBits(quantizedTargetLogProbSum, that.quantizedTargetLogProbSum);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * sampleId.hashCode() + Long.hashCode(tokens)) + Double.hashCode(kldSum);
  }

  @Override
  public String toString() {
    return "SampleStatsRow[sampleId="
        + sampleId
        + ", category="
        + category
        + ", tokens="
        + tokens
        + ", kldSum="
        + kldSum
        + ", kldMax="
        + kldMax
        + ", sketchBytes="
        + kldSketch.length
        + "]";
  }

  private static void checkNonNegative(String sampleId, String column, double value) {
    if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(
          "Invalid results row for sample "
              + sampleId
              + ": "
              + column
              + " is "
              + value
              + ", expected a finite value >= 0");
    }
  }

  private static void checkNonPositive(String sampleId, String column, double value) {
    if (!(value <= 0 && value > Double.NEGATIVE_INFINITY)) {
      throw new IllegalArgumentException(
          "Invalid results row for sample "
              + sampleId
              + ": "
              + column
              + " is "
              + value
              + ", expected a finite value <= 0");
    }
  }

  private static boolean sameBits(double a, double b) {
    return Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(b);
  }
}
