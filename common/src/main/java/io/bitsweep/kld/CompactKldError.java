package io.bitsweep.kld;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures how far a compact reference form moves the mean KLD, on a sample where both the full
 * reference logits and a quantized model's logits are at hand. The top-k form underestimates it
 * (a lower bound), the sampled-tail form estimates it without bias but with per-position noise.
 * The reference job reports this so that the compact form's error is measured, not assumed.
 */
public final class CompactKldError {
  private CompactKldError() {}

  /**
   * The error of one compact form over a sample of positions.
   *
   * @param encoding the compact form measured
   * @param bytesPerPosition bytes of one stored position in that form
   * @param positions the number of positions measured
   * @param meanCompactKld mean KLD from the compact form (float32 precision)
   * @param meanFullKld mean exact KLD from the full logits in double
   * @param relativeError (meanFullKld - meanCompactKld) / meanFullKld, the fraction by which the
   *     compact form underestimates the mean (negative where it overestimates), 0 when meanFullKld
   *     is 0
   * @param maxPositionGap the largest full minus compact KLD at a single position
   * @param rmsPositionError the root mean square of compact minus full KLD over the positions,
   *     the per-position noise that reaches the KLD quantiles
   */
  public record Row(
      ReferenceEncoding encoding,
      long bytesPerPosition,
      int positions,
      double meanCompactKld,
      double meanFullKld,
      double relativeError,
      double maxPositionGap,
      double rmsPositionError) {

    /** Returns the number of stored top tokens. */
    public int topK() {
      return encoding.topK();
    }
  }

  /** Measures the top-k error for each requested k, in the order given. */
  public static List<Row> measure(
      float[] referenceLogits, float[] quantizedLogits, int vocab, int... topKs) {
    List<ReferenceEncoding> encodings = new ArrayList<>();
    for (int k : topKs) {
      encodings.add(ReferenceEncoding.topK(k));
    }
    return measure(referenceLogits, quantizedLogits, vocab, encodings);
  }

  /**
   * Measures the error of each compact form.
   *
   * @param referenceLogits bf16-model logits, [positions, vocab] row-major
   * @param quantizedLogits quantized-model logits at the same positions, same layout
   * @param vocab the vocabulary size
   * @param encodings the compact forms to measure, each with k in [1, vocab]
   * @return one row per form, in the order given
   */
  public static List<Row> measure(
      float[] referenceLogits,
      float[] quantizedLogits,
      int vocab,
      List<ReferenceEncoding> encodings) {
    int positions = checkShapes(referenceLogits, quantizedLogits, vocab);
    int forms = encodings.size();
    double fullSum = 0;
    double[] compactSums = new double[forms];
    double[] squaredErrorSums = new double[forms];
    double[] maxGaps = new double[forms];
    for (int position = 0; position < positions; position++) {
      int offset = position * vocab;
      LogitsRow reference = LogitsRow.of(referenceLogits, offset, vocab);
      LogitsRow quantized = LogitsRow.of(quantizedLogits, offset, vocab);
      double full = Logits.kld(reference, quantized);
      fullSum += full;
      for (int j = 0; j < forms; j++) {
        double compact = ReferencePosition.encode(reference, encodings.get(j)).kld(quantized);
        compactSums[j] += compact;
        squaredErrorSums[j] += (compact - full) * (compact - full);
        maxGaps[j] = Math.max(maxGaps[j], full - compact);
      }
    }
    double meanFull = fullSum / positions;
    List<Row> rows = new ArrayList<>(forms);
    for (int j = 0; j < forms; j++) {
      double meanCompact = compactSums[j] / positions;
      double relativeError = meanFull == 0 ? 0 : (meanFull - meanCompact) / meanFull;
      rows.add(
          new Row(
              encodings.get(j),
              encodings.get(j).bytesPerPosition(vocab),
              positions,
              meanCompact,
              meanFull,
              relativeError,
              maxGaps[j],
              Math.sqrt(squaredErrorSums[j] / positions)));
    }
    return rows;
  }

  private static int checkShapes(float[] referenceLogits, float[] quantizedLogits, int vocab) {
    if (vocab < 1 || referenceLogits.length == 0 || referenceLogits.length % vocab != 0) {
      throw new IllegalArgumentException(
          "Invalid reference logits: "
              + referenceLogits.length
              + " floats is not a positive multiple of the vocabulary size "
              + vocab);
    }
    if (quantizedLogits.length != referenceLogits.length) {
      throw new IllegalArgumentException(
          "Invalid quantized logits: "
              + quantizedLogits.length
              + " floats, expected "
              + referenceLogits.length
              + " to match the reference logits");
    }
    return referenceLogits.length / vocab;
  }
}
