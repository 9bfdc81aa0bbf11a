package io.bitsweep.kld;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures how much the top-k reference form underestimates the mean KLD, on a sample where both
 * the full reference logits and a quantized model's logits are at hand. The reference job reports
 * this so that the compact form's error is measured, not assumed.
 */
public final class CompactKldError {
  private CompactKldError() {}

  /**
   * The error of one top-k size over a sample of positions.
   *
   * @param topK the number of stored tokens
   * @param bytesPerPosition bytes of one stored position, {@code 8 * topK + 4}
   * @param positions the number of positions measured
   * @param meanCompactKld mean KLD from the top-k form (float32 precision)
   * @param meanFullKld mean exact KLD from the full logits in double
   * @param relativeError (meanFullKld - meanCompactKld) / meanFullKld, the fraction by which the
   *     top-k form underestimates the mean, 0 when meanFullKld is 0
   * @param maxPositionGap the largest full minus top-k KLD at a single position
   */
  public record Row(
      int topK,
      long bytesPerPosition,
      int positions,
      double meanCompactKld,
      double meanFullKld,
      double relativeError,
      double maxPositionGap) {}

  /**
   * Measures the top-k error for each requested k.
   *
   * @param referenceLogits bf16-model logits, [positions, vocab] row-major
   * @param quantizedLogits quantized-model logits at the same positions, same layout
   * @param vocab the vocabulary size
   * @param topKs the top-k sizes to measure, each in [1, vocab]
   * @return one row per k, in the order given
   */
  public static List<Row> measure(
      float[] referenceLogits, float[] quantizedLogits, int vocab, int... topKs) {
    int positions = checkShapes(referenceLogits, quantizedLogits, vocab);
    double fullSum = 0;
    double[] compactSums = new double[topKs.length];
    double[] maxGaps = new double[topKs.length];
    for (int position = 0; position < positions; position++) {
      int offset = position * vocab;
      LogitsRow reference = LogitsRow.of(referenceLogits, offset, vocab);
      LogitsRow quantized = LogitsRow.of(quantizedLogits, offset, vocab);
      double full = Logits.kld(reference, quantized);
      fullSum += full;
      for (int j = 0; j < topKs.length; j++) {
        double compact = TopKDistribution.of(reference, topKs[j]).kld(quantized);
        compactSums[j] += compact;
        maxGaps[j] = Math.max(maxGaps[j], full - compact);
      }
    }
    double meanFull = fullSum / positions;
    List<Row> rows = new ArrayList<>(topKs.length);
    for (int j = 0; j < topKs.length; j++) {
      double meanCompact = compactSums[j] / positions;
      double relativeError = meanFull == 0 ? 0 : (meanFull - meanCompact) / meanFull;
      rows.add(
          new Row(
              topKs[j],
              ReferenceEncoding.topKBytesPerPosition(topKs[j]),
              positions,
              meanCompact,
              meanFull,
              relativeError,
              maxGaps[j]));
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
