package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReferenceDistributionTest {
  /** Agreement between closed-form values and float32-stored distributions. */
  private static final double FLOAT_STORAGE_TOLERANCE = 1e-6;

  private static float[] logitsOf(double... probabilities) {
    float[] logits = new float[probabilities.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.log(probabilities[i]);
    }
    return logits;
  }

  @Test
  void handExampleTargetAndBuckets() {
    float[] p = logitsOf(0.1, 0.2, 0.3, 0.4);
    float[] q = logitsOf(0.4, 0.3, 0.2, 0.1);
    ReferencePosition compact = ReferencePosition.of(p, 0, 4, 1, ReferenceEncoding.topK(2));
    TopKDistribution top2 = (TopKDistribution) compact.distribution();
    assertThat(top2.tokenIds()).containsExactly(3, 2);
    assertThat(top2.logRestMass()).isCloseTo((float) Math.log(0.3), within(1e-6f));

    PositionResult result = compact.compare(q, 0, 4);
    double bucketKld =
        0.4 * Math.log(0.4 / 0.1) + 0.3 * Math.log(0.3 / 0.2) + 0.3 * Math.log(0.3 / 0.7);
    assertThat(result.kld()).isCloseTo(bucketKld, within(FLOAT_STORAGE_TOLERANCE));
    assertThat(result.deltaP()).isCloseTo(0.3 - 0.2, within(FLOAT_STORAGE_TOLERANCE));
    assertThat(result.referenceTargetLogProb()).isCloseTo((float) Math.log(0.2), within(1e-6f));
    assertThat(result.quantizedTargetLogProb()).isCloseTo((float) Math.log(0.3), within(1e-6f));
    assertThat(result.top1Agrees()).as("P peaks at token 3, Q at token 0").isFalse();

    PositionResult full =
        ReferencePosition.of(p, 0, 4, 1, ReferenceEncoding.full()).compare(q, 0, 4);
    double fullKld =
        0.1 * Math.log(0.1 / 0.4)
            + 0.2 * Math.log(0.2 / 0.3)
            + 0.3 * Math.log(0.3 / 0.2)
            + 0.4 * Math.log(0.4 / 0.1);
    assertThat(full.kld()).isCloseTo(fullKld, within(FLOAT_STORAGE_TOLERANCE));
    assertThat(result.kld()).isLessThan(full.kld());
  }

  @Test
  void identicalLogitsGiveExactlyZero() {
    Random random = new Random(5);
    int vocab = 2048;
    float[] logits = LogitsTest.randomLogits(random, vocab, 3f);
    float[] copy = logits.clone();
    List<ReferenceEncoding> encodings =
        List.of(
            ReferenceEncoding.topK(1),
            ReferenceEncoding.topK(8),
            ReferenceEncoding.defaultTopK(),
            ReferenceEncoding.topK(vocab),
            ReferenceEncoding.full());
    for (ReferenceEncoding encoding : encodings) {
      ReferencePosition reference = ReferencePosition.of(logits, 0, vocab, 77, encoding);
      PositionResult result = reference.compare(copy, 0, vocab);
      assertThat(result.kld()).as("KLD, %s", encoding).isEqualTo(0.0);
      assertThat(result.deltaP()).as("delta p, %s", encoding).isEqualTo(0.0);
      assertThat(result.top1Agrees()).as("top-1, %s", encoding).isTrue();
      assertThat(result.quantizedTargetLogProb()).isEqualTo(result.referenceTargetLogProb());
    }
  }

  @Test
  void identicalPeakedLogitsGiveExactlyZero() {
    float[] logits = LogitsTest.randomLogits(new Random(6), 4096, 1f);
    logits[3] = 80f; // the rest mass falls below the cancellation limit
    ReferencePosition reference =
        ReferencePosition.of(logits, 0, 4096, 3, ReferenceEncoding.topK(4));
    assertThat(reference.compare(logits.clone(), 0, 4096).kld()).isEqualTo(0.0);
  }

  @Test
  void kldGrowsWithNoise() {
    Random random = new Random(7);
    int vocab = 2048;
    int positions = 40;
    float[] reference = peakedLogits(random, positions, vocab);
    double previousFull = 0;
    double previousCompact = 0;
    for (double sigma : new double[] {0.01, 0.03, 0.1, 0.3, 1.0}) {
      float[] quantized = addNoise(new Random(8), reference, sigma);
      CompactKldError.Row row = CompactKldError.measure(reference, quantized, vocab, 32).get(0);
      assertThat(row.meanFullKld()).as("full KLD at sigma %s", sigma).isGreaterThan(previousFull);
      assertThat(row.meanCompactKld())
          .as("top-32 KLD at sigma %s", sigma)
          .isGreaterThan(previousCompact);
      previousFull = row.meanFullKld();
      previousCompact = row.meanCompactKld();
    }
  }

  @Test
  void compactIsLowerBoundOnEveryPosition() {
    Random random = new Random(9);
    int vocab = 2048;
    float[] reference = peakedLogits(random, 30, vocab);
    float[] quantized = addNoise(random, reference, 0.3);
    for (int position = 0; position < 30; position++) {
      int offset = position * vocab;
      LogitsRow q = LogitsRow.of(quantized, offset, vocab);
      double full = Logits.kld(LogitsRow.of(reference, offset, vocab), q);
      for (int k : new int[] {1, 8, 32, 128, 512}) {
        ReferencePosition compact =
            ReferencePosition.of(reference, offset, vocab, 0, ReferenceEncoding.topK(k));
        assertThat(compact.compare(q).kld())
            .as("position %d, k %d", position, k)
            .isLessThanOrEqualTo(full + FLOAT_STORAGE_TOLERANCE);
      }
    }
  }

  @Test
  void compactConvergesOnRandomLogits() {
    Random random = new Random(10);
    int vocab = 2048;
    float[] reference = new float[200 * vocab];
    for (int i = 0; i < reference.length; i++) {
      reference[i] = (float) (random.nextGaussian() * 2);
    }
    float[] quantized = addNoise(random, reference, 0.2);
    assertConverges("random N(0, 2^2) logits", reference, quantized, vocab);
  }

  @Test
  void compactConvergesOnPeakedLogits() {
    Random random = new Random(11);
    int vocab = 2048;
    float[] reference = peakedLogits(random, 200, vocab);
    float[] quantized = addNoise(random, reference, 0.2);
    List<CompactKldError.Row> rows = assertConverges("peaked logits", reference, quantized, vocab);
    assertThat(rows.get(1).relativeError())
        .as("top-32 relative error on a peaked distribution")
        .isLessThan(0.25);
  }

  private static List<CompactKldError.Row> assertConverges(
      String label, float[] reference, float[] quantized, int vocab) {
    List<CompactKldError.Row> rows =
        CompactKldError.measure(reference, quantized, vocab, 8, 32, 128, 512, vocab);
    for (CompactKldError.Row row : rows) {
      System.out.printf(
          java.util.Locale.ROOT,
          "%s: k=%4d  %5d B/position  mean KLD top-k %.6f  full %.6f  relative error %.4f%n",
          label,
          row.topK(),
          row.bytesPerPosition(),
          row.meanCompactKld(),
          row.meanFullKld(),
          row.relativeError());
    }
    for (int j = 0; j < rows.size(); j++) {
      CompactKldError.Row row = rows.get(j);
      assertThat(row.relativeError()).as("%s, k %d", label, row.topK()).isGreaterThan(-1e-6);
      if (j > 0) {
        assertThat(row.relativeError())
            .as("%s, k %d vs k %d", label, row.topK(), rows.get(j - 1).topK())
            .isLessThan(rows.get(j - 1).relativeError());
      }
    }
    assertThat(rows.get(rows.size() - 1).relativeError())
        .as("%s, k = vocab keeps every token", label)
        .isCloseTo(0, within(1e-5));
    return rows;
  }

  @Test
  void fullFormMatchesExactKld() {
    Random random = new Random(12);
    float[] reference = peakedLogits(random, 1, 2048);
    float[] quantized = addNoise(random, reference, 0.3);
    double exact = Logits.kldOfLogits(reference, 0, quantized, 0, 2048);
    double stored =
        ReferencePosition.of(reference, 0, 2048, 5, ReferenceEncoding.full())
            .compare(quantized, 0, 2048)
            .kld();
    assertThat(stored)
        .as("rounding every log-probability to float32 moves the KLD by about 1e-8 here")
        .isCloseTo(exact, within(1e-7));
  }

  @Test
  void bytesPerPosition() {
    assertThat(ReferenceEncoding.topK(32).bytesPerPosition(248_320)).isEqualTo(260);
    assertThat(ReferenceEncoding.defaultEncoding().bytesPerPosition(248_320)).isEqualTo(1028);
    assertThat(ReferenceEncoding.sampledTail(128, 120).bytesPerPosition(248_320)).isEqualTo(1988);
    assertThat(ReferenceEncoding.topK(8).bytesPerPosition(248_320)).isEqualTo(68);
    assertThat(ReferenceEncoding.full().bytesPerPosition(248_320)).isEqualTo(993_280);
    float[] logits = LogitsTest.randomLogits(new Random(13), 100, 1f);
    assertThat(
            ReferencePosition.of(logits, 0, 100, 0, ReferenceEncoding.topK(16))
                .distribution()
                .storedBytes())
        .isEqualTo(132);
    assertThat(
            ReferencePosition.of(logits, 0, 100, 0, ReferenceEncoding.full())
                .distribution()
                .storedBytes())
        .isEqualTo(400);
  }

  @Test
  void rejectsInvalidEncodings() {
    assertThatThrownBy(() -> ReferenceEncoding.topK(0))
        .hasMessage("Invalid reference encoding: top-k size is 0, expected at least 1");
    assertThatThrownBy(() -> new ReferenceEncoding(ReferenceEncoding.Form.FULL, 4, 0))
        .hasMessage(
            "Invalid reference encoding: the full form stores every token, so top-k and tail"
                + " samples must be 0, found 4 and 0");
    float[] logits = new float[10];
    assertThatThrownBy(() -> ReferencePosition.of(logits, 0, 10, 0, ReferenceEncoding.topK(11)))
        .hasMessage("Invalid top-k size 11: expected a value in [1, 10] (the vocabulary)");
  }

  @Test
  void rejectsCorruptStoredRows() {
    float half = (float) Math.log(0.5);
    assertThatThrownBy(
            () -> new TopKDistribution(new int[] {4, 4}, new float[] {half, half}, -100f))
        .hasMessage("Invalid top-k distribution: token id 4 appears twice");
    assertThatThrownBy(() -> new TopKDistribution(new int[] {1, 2}, new float[] {half, 0f}, -100f))
        .hasMessageContaining("log-probability 1 is 0.0, expected a value <= 0 and <= the one");
    assertThatThrownBy(() -> new TopKDistribution(new int[] {1}, new float[] {half}, -3f))
        .hasMessageStartingWith("Invalid top-k distribution: probabilities sum to 0.549")
        .hasMessageEndingWith("the stored row is corrupt or was not written by the reference job");
    assertThatThrownBy(() -> new TopKDistribution(new int[] {1}, new float[] {0f, 0f}, -100f))
        .hasMessageContaining("1 token ids and 2 log-probabilities");
    assertThatThrownBy(() -> new FullDistribution(new float[] {half, Float.NaN}))
        .hasMessage(
            "Invalid full distribution: log-probability of token 1 is NaN, expected a value <= 0");
    assertThatThrownBy(() -> new FullDistribution(new float[] {half, half, half}))
        .hasMessageStartingWith("Invalid full distribution: probabilities sum to 1.49999");
  }

  @Test
  void rejectsVocabularyMismatch() {
    float[] logits = new float[8];
    ReferencePosition full = ReferencePosition.of(logits, 0, 8, 0, ReferenceEncoding.full());
    assertThatThrownBy(() -> full.compare(new float[6], 0, 6))
        .hasMessage(
            "Cannot compare distributions: the reference has 8 tokens but the quantized logits"
                + " row has 6. Both models must share one vocabulary");
    assertThatThrownBy(() -> CompactKldError.measure(new float[16], new float[8], 8, 4))
        .hasMessage(
            "Invalid quantized logits: 8 floats, expected 16 to match the reference logits");
    assertThatThrownBy(() -> CompactKldError.measure(new float[10], new float[10], 8, 4))
        .hasMessage(
            "Invalid reference logits: 10 floats is not a positive multiple of the vocabulary size"
                + " 8");
  }

  /**
   * Builds LLM-like rows: logits fall off as -1.1 ln(rank) scaled by a random sharpness in [1, 4],
   * over a random order of token ids, plus small noise. The top token then takes from about 10% to
   * over 90% of the mass, as next-token distributions of language models do.
   */
  static float[] peakedLogits(Random random, int positions, int vocab) {
    float[] logits = new float[positions * vocab];
    for (int position = 0; position < positions; position++) {
      double sharpness = 1 + 3 * random.nextDouble();
      int[] order = shuffledIds(random, vocab);
      for (int rank = 0; rank < vocab; rank++) {
        double logit = -1.1 * sharpness * Math.log(rank + 1) + 0.1 * random.nextGaussian();
        logits[position * vocab + order[rank]] = (float) logit;
      }
    }
    return logits;
  }

  static float[] addNoise(Random random, float[] logits, double sigma) {
    float[] noisy = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      noisy[i] = (float) (logits[i] + sigma * random.nextGaussian());
    }
    return noisy;
  }

  private static int[] shuffledIds(Random random, int vocab) {
    int[] ids = new int[vocab];
    for (int i = 0; i < vocab; i++) {
      ids[i] = i;
    }
    for (int i = vocab - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = ids[i];
      ids[i] = ids[j];
      ids[j] = swap;
    }
    return ids;
  }
}
