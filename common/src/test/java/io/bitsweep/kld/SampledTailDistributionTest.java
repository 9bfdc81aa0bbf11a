package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SampledTailDistributionTest {
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
  void sampleMatchingTailShapeGivesExactKld() {
    // The rest {1, 2, 3} has probabilities 0.3, 0.2 and 0.1, so six systematic points fall 3, 2 and
    // 1 times on them for any first point, and the sample mean equals the tail expectation.
    float[] p = logitsOf(0.4, 0.3, 0.2, 0.1);
    float[] q = logitsOf(0.1, 0.2, 0.3, 0.4);
    ReferencePosition reference =
        ReferencePosition.of(p, 0, 4, 2, ReferenceEncoding.sampledTail(1, 6));
    SampledTailDistribution sampled = (SampledTailDistribution) reference.distribution();
    assertThat(sampled.top().tokenIds()).containsExactly(0);
    assertThat(sampled.tailIds()).containsExactly(1, 1, 1, 2, 2, 3);
    assertThat(sampled.tailLogProbs()[0]).isCloseTo((float) Math.log(0.3), within(1e-6f));

    double fullKld =
        0.4 * Math.log(0.4 / 0.1)
            + 0.3 * Math.log(0.3 / 0.2)
            + 0.2 * Math.log(0.2 / 0.3)
            + 0.1 * Math.log(0.1 / 0.4);
    PositionResult result = reference.compare(q, 0, 4);
    assertThat(result.kld()).isCloseTo(fullKld, within(FLOAT_STORAGE_TOLERANCE));
    double bucketKld = 0.4 * Math.log(0.4 / 0.1) + 0.6 * Math.log(0.6 / 0.9);
    assertThat(sampled.top().kld(LogitsRow.of(q, 0, 4)))
        .as("the top-1 form alone sees only the two buckets")
        .isCloseTo(bucketKld, within(FLOAT_STORAGE_TOLERANCE));
    assertThat(result.top1Agrees()).isFalse();
  }

  @Test
  void identicalLogitsGiveExactlyZero() {
    int vocab = 2048;
    float[] logits = LogitsTest.randomLogits(new Random(20), vocab, 3f);
    List<ReferenceEncoding> encodings =
        List.of(
            ReferenceEncoding.sampledTail(1, 1),
            ReferenceEncoding.sampledTail(8, 256),
            ReferenceEncoding.defaultEncoding(),
            ReferenceEncoding.sampledTail(vocab - 1, 5),
            ReferenceEncoding.sampledTail(vocab, 5));
    for (ReferenceEncoding encoding : encodings) {
      ReferencePosition reference = ReferencePosition.of(logits, 0, vocab, 77, encoding);
      PositionResult result = reference.compare(logits.clone(), 0, vocab);
      assertThat(result.kld()).as("KLD, %s", encoding).isEqualTo(0.0);
      assertThat(result.deltaP()).as("delta p, %s", encoding).isEqualTo(0.0);
      assertThat(result.top1Agrees()).as("top-1, %s", encoding).isTrue();
    }
  }

  @Test
  void identicalPeakedLogitsGiveExactlyZero() {
    float[] logits = LogitsTest.randomLogits(new Random(21), 4096, 1f);
    logits[3] = 80f; // the rest mass falls below the cancellation limit
    ReferencePosition reference =
        ReferencePosition.of(logits, 0, 4096, 3, ReferenceEncoding.sampledTail(4, 32));
    assertThat(reference.distribution()).isInstanceOf(SampledTailDistribution.class);
    assertThat(reference.compare(logits.clone(), 0, 4096).kld()).isEqualTo(0.0);
  }

  @Test
  void restWithoutMassStoresTopK() {
    float[] logits = LogitsTest.randomLogits(new Random(22), 64, 1f);
    ReferencePosition reference =
        ReferencePosition.of(logits, 0, 64, 0, ReferenceEncoding.sampledTail(64, 8));
    assertThat(reference.distribution()).isInstanceOf(TopKDistribution.class);
    assertThat(reference.distribution().storedBytes()).isEqualTo(8 * 64 + 4);
  }

  @Test
  void estimateIsUnbiasedOverFirstPoints() {
    int vocab = 2048;
    float[] reference = LogitsTest.randomLogits(new Random(23), vocab, 2f);
    float[] quantized = ReferenceDistributionTest.addNoise(new Random(24), reference, 0.3);
    LogitsRow p = LogitsRow.of(reference, 0, vocab);
    LogitsRow q = LogitsRow.of(quantized, 0, vocab);
    double exact = Logits.kld(p, q);
    TopKDistribution top = TopKDistribution.of(p, 4);
    int points = 4000;
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = 0;
    for (int i = 0; i < points; i++) {
      double estimate = sampledWithFirstPoint(p, top, 8, (i + 0.5) / points).kld(q);
      sum += estimate;
      min = Math.min(min, estimate);
      max = Math.max(max, estimate);
    }
    assertThat(top.kld(q)).as("the top-4 lower bound misses the tail").isLessThan(0.5 * exact);
    assertThat(max - min).as("single estimates vary with the first point").isGreaterThan(1e-3);
    assertThat(sum / points)
        .as("mean over first points vs exact KLD %s", exact)
        .isCloseTo(exact, within(1e-3 * exact));
  }

  @Test
  void meanErrorIsSmallOnPeakedRows() {
    Random random = new Random(25);
    int vocab = 2048;
    float[] reference = ReferenceDistributionTest.peakedLogits(random, 200, vocab);
    float[] quantized = ReferenceDistributionTest.addNoise(random, reference, 0.2);
    List<CompactKldError.Row> rows =
        CompactKldError.measure(
            reference,
            quantized,
            vocab,
            List.of(ReferenceEncoding.topK(32), ReferenceEncoding.sampledTail(32, 32)));
    for (CompactKldError.Row row : rows) {
      System.out.printf(
          java.util.Locale.ROOT,
          "%s: %d B/position, mean KLD %.6f, full %.6f, relative error %.4f, rms %.6f%n",
          row.encoding().describe(),
          row.bytesPerPosition(),
          row.meanCompactKld(),
          row.meanFullKld(),
          row.relativeError(),
          row.rmsPositionError());
    }
    assertThat(rows.get(0).relativeError()).as("top-32 underestimates").isGreaterThan(0.05);
    assertThat(Math.abs(rows.get(1).relativeError()))
        .as("top-32 + 32 tail samples, relative error of the mean")
        .isLessThan(0.01);
    assertThat(rows.get(1).rmsPositionError())
        .as("per-position noise vs the top-32 gap")
        .isLessThan(rows.get(0).rmsPositionError() / 2);
  }

  @Test
  void systematicSampleFollowsTailProbabilities() {
    int vocab = 500;
    float[] logits = LogitsTest.randomLogits(new Random(26), vocab, 2f);
    LogitsRow row = LogitsRow.of(logits, 0, vocab);
    int[] top = row.topK(10);
    double logRest = row.logMassExcluding(top);
    int count = 50;
    for (double firstPoint : new double[] {0, 0.25, 0.999}) {
      int[] picked = row.systematicSample(top, count, firstPoint);
      assertThat(picked).as("first point %s", firstPoint).hasSize(count).isSorted();
      int[] times = new int[vocab];
      for (int id : picked) {
        times[id]++;
      }
      for (int id = 0; id < vocab; id++) {
        double expected = count * Math.exp(row.logProb(id) - logRest);
        if (contains(top, id)) {
          assertThat(times[id]).as("top token %d", id).isZero();
        } else {
          assertThat((double) times[id])
              .as("token %d, expected %s times", id, expected)
              .isBetween(Math.floor(expected), Math.ceil(expected));
        }
      }
    }
  }

  @Test
  void storedFormIsReproducible() {
    float[] logits = LogitsTest.randomLogits(new Random(27), 1000, 2f);
    ReferenceEncoding encoding = ReferenceEncoding.sampledTail(16, 48);
    SampledTailDistribution first =
        (SampledTailDistribution) ReferencePosition.of(logits, 0, 1000, 1, encoding).distribution();
    SampledTailDistribution second =
        (SampledTailDistribution)
            ReferencePosition.of(logits.clone(), 0, 1000, 1, encoding).distribution();
    assertThat(second).isEqualTo(first);
    SampledTailDistribution rebuilt =
        new SampledTailDistribution(
            new TopKDistribution(
                first.top().tokenIds(), first.top().logProbs(), first.top().logRestMass()),
            first.tailIds(),
            first.tailLogProbs());
    assertThat(rebuilt).isEqualTo(first).hasSameHashCodeAs(first);
    assertThat(first.storedBytes()).isEqualTo(8 * (16 + 48) + 4);
    assertThat(first.tailSamples()).isEqualTo(48);
  }

  @Test
  void rejectsCorruptStoredRows() {
    float[] logits = LogitsTest.randomLogits(new Random(28), 100, 1f);
    SampledTailDistribution valid =
        (SampledTailDistribution)
            ReferencePosition.of(logits, 0, 100, 0, ReferenceEncoding.sampledTail(4, 4))
                .distribution();
    TopKDistribution top = valid.top();
    int[] ids = valid.tailIds();
    float[] logProbs = valid.tailLogProbs();

    int[] withTopId = ids.clone();
    withTopId[1] = top.tokenIds()[2];
    assertThatThrownBy(() -> new SampledTailDistribution(top, withTopId, logProbs))
        .hasMessage(
            "Invalid sampled-tail distribution: tail token id "
                + top.tokenIds()[2]
                + " is negative or one of the top-k tokens, expected a token of the rest");
    float[] aboveTop = logProbs.clone();
    aboveTop[3] = top.logProbs()[0];
    assertThatThrownBy(() -> new SampledTailDistribution(top, ids, aboveTop))
        .hasMessageStartingWith("Invalid sampled-tail distribution: tail log-probability 3 is")
        .hasMessageEndingWith("(the k-th top token's), so the stored row is corrupt");
    assertThatThrownBy(() -> new SampledTailDistribution(top, ids, new float[3]))
        .hasMessage(
            "Invalid sampled-tail distribution: 4 tail token ids and 3 tail log-probabilities,"
                + " expected the same positive count");
    assertThatThrownBy(
            () ->
                new SampledTailDistribution(
                    new TopKDistribution(
                        new int[] {5}, new float[] {0f}, Float.NEGATIVE_INFINITY),
                    new int[] {6},
                    new float[] {-1f}))
        .hasMessageStartingWith(
            "Invalid sampled-tail distribution: the rest has no mass, so there is no tail");
  }

  @Test
  void rejectsInvalidEncodings() {
    assertThatThrownBy(() -> ReferenceEncoding.sampledTail(8, 0))
        .hasMessage(
            "Invalid reference encoding: tail sample size is 0, expected at least 1 for the"
                + " sampled-tail form");
    assertThatThrownBy(() -> ReferenceEncoding.sampledTail(0, 8))
        .hasMessage("Invalid reference encoding: top-k size is 0, expected at least 1");
    assertThatThrownBy(() -> new ReferenceEncoding(ReferenceEncoding.Form.TOP_K, 8, 4))
        .hasMessage(
            "Invalid reference encoding: the top-k form samples no tail tokens, found 4; use the"
                + " sampled-tail form");
    assertThat(ReferenceEncoding.compact(8, 0)).isEqualTo(ReferenceEncoding.topK(8));
    assertThat(ReferenceEncoding.compact(8, 4)).isEqualTo(ReferenceEncoding.sampledTail(8, 4));
  }

  private static SampledTailDistribution sampledWithFirstPoint(
      LogitsRow row, TopKDistribution top, int count, double firstPoint) {
    int[] ids = row.systematicSample(top.tokenIds(), count, firstPoint);
    float[] logProbs = new float[count];
    for (int j = 0; j < count; j++) {
      logProbs[j] = row.storedLogProb(ids[j]);
    }
    return new SampledTailDistribution(top, ids, logProbs);
  }

  private static boolean contains(int[] ids, int id) {
    for (int candidate : ids) {
      if (candidate == id) {
        return true;
      }
    }
    return false;
  }
}
