package io.bitsweep.awq;

import java.util.Locale;

/**
 * The outcome of one unit's scale search for one set of settings.
 *
 * @param unit the unit searched
 * @param scales the chosen per-channel scales {@code s}, or null when plain quantization had the
 *     lower error and the unit stays unscaled
 * @param ratio the exponent of the best scaled candidate, {@code s ∝ mean|x|^ratio}
 * @param plainLoss squared output error per sampled row with plain quantization, summed over the
 *     unit's readers
 * @param scaledLoss the same error for the best scaled candidate, whether or not it was chosen
 * @param sampleRows the number of input rows the errors were measured on
 */
public record AwqResult(
    AwqUnit unit,
    float[] scales,
    double ratio,
    double plainLoss,
    double scaledLoss,
    int sampleRows) {

  /** Returns whether the unit is scaled. */
  public boolean scaled() {
    return scales != null;
  }

  /** Returns the error of what is applied: the scaled loss when scaled, else the plain loss. */
  public double appliedLoss() {
    return scaled() ? scaledLoss : plainLoss;
  }

  /** Returns a key of the applied scales, or the empty string when the unit stays unscaled. */
  public String scalesKey() {
    return scaled() ? AwqTransforms.key(scales) : "";
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%s: %s, ratio %.2f, plain loss %.6g, scaled loss %.6g over %d rows",
        unit.label(),
        scaled() ? "scaled" : "plain",
        ratio,
        plainLoss,
        scaledLoss,
        sampleRows);
  }
}
