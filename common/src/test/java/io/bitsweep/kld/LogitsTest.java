package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogitsTest {
  /** Agreement between the max-shifted log-softmax and a naive double one on moderate logits. */
  private static final double NAIVE_TOLERANCE = 1e-12;

  @Test
  void logSoftmaxMatchesNaiveDoubleReference() {
    float[] logits = randomLogits(new Random(1), 1000, 8f);
    double naiveSum = 0;
    for (float logit : logits) {
      naiveSum += Math.exp(logit);
    }
    double[] logProbs = Logits.logSoftmax(logits);
    for (int i = 0; i < logits.length; i++) {
      double naive = Math.log(Math.exp(logits[i]) / naiveSum);
      assertThat(logProbs[i]).as("log p[%d]", i).isCloseTo(naive, within(NAIVE_TOLERANCE));
    }
  }

  @Test
  void logSoftmaxStableForHugeLogits() {
    float[] logits = {1000f, 999f, 998f};
    double expected = Math.log(1 + Math.exp(-1) + Math.exp(-2));
    double[] logProbs = Logits.logSoftmax(logits);
    assertThat(logProbs[0]).isCloseTo(-expected, within(1e-15));
    assertThat(logProbs[1]).isCloseTo(-1 - expected, within(1e-15));
    assertThat(logProbs[2]).isCloseTo(-2 - expected, within(1e-15));
    assertThat(Logits.logSumExp(logits)).isCloseTo(1000 + expected, within(1e-12));
  }

  @Test
  void logSoftmaxOfRowInsideBlock() {
    float[] block = {9f, 9f, 0f, 1f, 2f, 9f};
    double[] row = Logits.logSoftmax(block, 2, 3);
    assertThat(row).containsExactly(Logits.logSoftmax(new float[] {0f, 1f, 2f}));
    assertThat(Logits.logProb(block, 2, 3, 2)).isEqualTo(row[2]);
  }

  @Test
  void maskedTokenHasZeroProbability() {
    float[] logits = {0f, Float.NEGATIVE_INFINITY, 0f};
    double[] logProbs = Logits.logSoftmax(logits);
    assertThat(logProbs[1]).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(logProbs[0]).isCloseTo(Math.log(0.5), within(1e-15));
    assertThat(Logits.kld(logProbs, Logits.logSoftmax(new float[] {0f, 5f, 0f})))
        .as("a token with p = 0 contributes nothing")
        .isCloseTo(Math.log(0.5) - Logits.logSoftmax(new float[] {0f, 5f, 0f})[0], within(1e-15));
  }

  @Test
  void argmaxTakesLowestIndexOnTies() {
    assertThat(Logits.argmax(new float[] {1f, 3f, 2f, 3f}, 0, 4)).isEqualTo(1);
    assertThat(Logits.argmax(new float[] {5f, 1f, 3f, 2f, 3f}, 1, 4)).isEqualTo(1);
    assertThat(Logits.argmax(new float[] {Float.NEGATIVE_INFINITY, -7f}, 0, 2)).isEqualTo(1);
  }

  @Test
  void rejectsInvalidRows() {
    assertThatThrownBy(() -> Logits.argmax(new float[] {1f, Float.NaN, 2f}, 0, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid logits row: entry 1 is NaN. Check the forward pass for overflow");
    assertThatThrownBy(() -> Logits.argmax(new float[] {Float.NaN, 2f}, 0, 2))
        .hasMessageContaining("entry 0 is NaN");
    assertThatThrownBy(() -> Logits.logSumExp(new float[] {1f, Float.POSITIVE_INFINITY}))
        .hasMessageContaining("entry 1 is Infinity");
    assertThatThrownBy(
            () -> Logits.logSumExp(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}))
        .hasMessageContaining("all 2 entries are -Infinity");
    assertThatThrownBy(() -> Logits.argmax(new float[4], 2, 3))
        .hasMessage("Invalid logits row: offset 2 and vocab 3 do not fit in an array of 4 floats");
    assertThatThrownBy(() -> Logits.logProb(new float[4], 0, 4, 4))
        .hasMessage("Invalid token id 4: expected a value in [0, 4)");
  }

  @Test
  void kldOfKnownDistributions() {
    float[] p = {0f, 0f};
    float[] q = {(float) Math.log(0.25), (float) Math.log(0.75)};
    double expected = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
    assertThat(Logits.kldOfLogits(p, 0, q, 0, 2)).isCloseTo(expected, within(1e-7));
  }

  @Test
  void kldOfIdenticalDistributionsIsExactlyZero() {
    float[] logits = randomLogits(new Random(2), 4096, 5f);
    assertThat(Logits.kldOfLogits(logits, 0, logits.clone(), 0, logits.length)).isEqualTo(0.0);
  }

  @Test
  void kldRejectsDifferentLengths() {
    assertThatThrownBy(() -> Logits.kld(new double[3], new double[4]))
        .hasMessage(
            "Cannot compute KL divergence: P has 3 log-probabilities but Q has 4. Both must cover"
                + " the same vocabulary");
  }

  @Test
  void topKMatchesFullSortWithTies() {
    Random random = new Random(3);
    float[] logits = new float[3000];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = Math.round(random.nextGaussian() * 4) / 2f; // many exact ties
    }
    Integer[] sorted = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
    Arrays.sort(
        sorted, Comparator.comparingDouble((Integer i) -> -logits[i]).thenComparingInt(i -> i));
    LogitsRow row = LogitsRow.of(logits, 0, logits.length);
    for (int k : new int[] {1, 2, 7, 32, 100, 3000}) {
      int[] expected = Arrays.stream(sorted, 0, k).mapToInt(Integer::intValue).toArray();
      assertThat(row.topK(k)).as("top-%d", k).containsExactly(expected);
    }
    assertThatThrownBy(() -> row.topK(3001))
        .hasMessage("Invalid top-k size 3001: expected a value in [1, 3000] (the vocabulary)");
  }

  @Test
  void restMassMatchesDirectSum() {
    Random random = new Random(4);
    float[] flat = randomLogits(random, 2048, 2f);
    float[] peaked = randomLogits(random, 2048, 2f);
    peaked[17] = 60f; // the other tokens share about e^-52 of the mass: the direct-sum path
    for (float[] logits : new float[][] {flat, peaked}) {
      LogitsRow row = LogitsRow.of(logits, 0, logits.length);
      int[] top = row.topK(8);
      double[] logProbs = Logits.logSoftmax(logits);
      double direct = 0;
      for (int i = 0; i < logits.length; i++) {
        int token = i;
        if (Arrays.stream(top).noneMatch(t -> t == token)) {
          direct += Math.exp(logProbs[i]);
        }
      }
      assertThat(row.logMassExcluding(top))
          .isCloseTo(Math.log(direct), within(1e-9 * Math.abs(Math.log(direct))));
    }
    LogitsRow all = LogitsRow.of(flat, 0, flat.length);
    assertThat(all.logMassExcluding(all.topK(flat.length))).isEqualTo(Double.NEGATIVE_INFINITY);
  }

  static float[] randomLogits(Random random, int vocab, float scale) {
    float[] logits = new float[vocab];
    for (int i = 0; i < vocab; i++) {
      logits[i] = (float) (random.nextGaussian() * scale);
    }
    return logits;
  }
}
