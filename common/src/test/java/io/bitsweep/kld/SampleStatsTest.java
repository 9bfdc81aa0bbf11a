package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SampleStatsTest {
  private static final String[] CATEGORIES = {"code", "dialogue", "tool_call"};

  /** Builds statistics for one sample from random but plausible per-position results. */
  static SampleStats randomSample(Random random, String sampleId, String category) {
    SampleStats stats = new SampleStats(sampleId, category);
    int positions = 1 + random.nextInt(300);
    for (int i = 0; i < positions; i++) {
      double kld = Math.exp(Math.log(0.003) + 2 * random.nextGaussian());
      float referenceLogProb = (float) -Math.abs(2 * random.nextGaussian());
      float quantizedLogProb = (float) (referenceLogProb - 0.05 * Math.abs(random.nextGaussian()));
      stats.add(
          new PositionResult(kld, referenceLogProb, quantizedLogProb, random.nextInt(10) > 0));
    }
    return stats;
  }

  static List<SampleStats> randomSamples(long seed, int count) {
    Random random = new Random(seed);
    List<SampleStats> samples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = String.format(Locale.ROOT, "sample-%05d", i);
      samples.add(randomSample(random, id, CATEGORIES[i % CATEGORIES.length]));
    }
    return samples;
  }

  @Test
  void addAccumulatesEveryColumn() {
    SampleStats stats = new SampleStats("s1", "code");
    float logHalf = (float) Math.log(0.5);
    float logQuarter = (float) Math.log(0.25);
    stats.add(new PositionResult(0.5, logHalf, logQuarter, true));
    stats.add(new PositionResult(0.25, logQuarter, logHalf, false));
    stats.add(new PositionResult(0.0, logHalf, logHalf, true));
    assertThat(stats.tokens()).isEqualTo(3);
    assertThat(stats.kldSum()).isEqualTo(0.75);
    assertThat(stats.kldSumSquares()).isEqualTo(0.3125);
    assertThat(stats.kldMax()).isEqualTo(0.5);
    assertThat(stats.top1Agreements()).isEqualTo(2);
    assertThat(stats.deltaPSquaresSum()).isCloseTo(2 * 0.0625, within(1e-9));
    assertThat(stats.referenceTargetLogProbSum())
        .isCloseTo(2 * Math.log(0.5) + Math.log(0.25), within(1e-6));
    assertThat(stats.quantizedTargetLogProbSum())
        .isCloseTo(2 * Math.log(0.5) + Math.log(0.25), within(1e-6));
    assertThat(stats.kldQuantile(0.5)).isCloseTo(0.25, within(0.25 * KldSketch.RELATIVE_PRECISION));
  }

  @Test
  void shuffledThenSortedCombineIsBitIdentical() {
    List<SampleStats> samples = randomSamples(30, 200);
    SampleStatsRow expected = SampleStats.combine(samples).toRow();
    Random random = new Random(31);
    for (int trial = 0; trial < 5; trial++) {
      List<SampleStats> shuffled = new ArrayList<>(samples);
      Collections.shuffle(shuffled, random);
      shuffled.sort(SampleStats.BY_SAMPLE_ID);
      assertThat(SampleStats.combine(shuffled).toRow()).as("trial %d", trial).isEqualTo(expected);
      Collections.shuffle(shuffled, random);
      assertThat(SampleStats.combineInSampleOrder(shuffled).toRow()).isEqualTo(expected);
    }
    assertThat(expected.sampleId()).isEqualTo(SampleStats.ALL);
    assertThat(expected.category()).isEqualTo(SampleStats.ALL);
  }

  @Test
  void unsortedMergeOrderChangesBits() {
    List<SampleStats> samples = randomSamples(30, 200);
    double sortedSum = SampleStats.combine(samples).kldSum();
    Random random = new Random(38);
    boolean anyDifferent = false;
    for (int trial = 0; trial < 5; trial++) {
      List<SampleStats> shuffled = new ArrayList<>(samples);
      Collections.shuffle(shuffled, random);
      SampleStats merged = new SampleStats(SampleStats.ALL, SampleStats.ALL);
      shuffled.forEach(merged::merge);
      assertThat(merged.kldSum()).isCloseTo(sortedSum, within(1e-12 * sortedSum));
      anyDifferent |=
          Double.doubleToRawLongBits(merged.kldSum()) != Double.doubleToRawLongBits(sortedSum);
    }
    assertThat(anyDifferent).as("some merge order changes the last bits of the KLD sum").isTrue();
  }

  @Test
  void combineThroughRowsIsBitIdentical() {
    List<SampleStats> samples = randomSamples(32, 50);
    List<SampleStats> restored = new ArrayList<>();
    for (SampleStats sample : samples) {
      restored.add(SampleStats.fromRow(sample.toRow()));
    }
    assertThat(SampleStats.combine(restored).toRow())
        .isEqualTo(SampleStats.combine(samples).toRow());
  }

  @Test
  void mergeIsAssociative() {
    List<SampleStats> samples = randomSamples(33, 3);
    SampleStats left = copy(samples.get(0));
    left.merge(samples.get(1));
    left.merge(samples.get(2));
    SampleStats right = copy(samples.get(1));
    right.merge(samples.get(2));
    SampleStats grouped = copy(samples.get(0));
    grouped.merge(right);

    // Integer columns, the max and the sketch are exact in any grouping.
    assertThat(grouped.tokens()).isEqualTo(left.tokens());
    assertThat(grouped.top1Agreements()).isEqualTo(left.top1Agreements());
    assertThat(grouped.kldMax()).isEqualTo(left.kldMax());
    assertThat(grouped.toRow().kldSketch()).isEqualTo(left.toRow().kldSketch());

    // Double sums agree to rounding, which is why combine fixes the order.
    assertThat(grouped.kldSum()).isCloseTo(left.kldSum(), within(1e-12 * left.kldSum()));
    assertThat(grouped.kldSumSquares())
        .isCloseTo(left.kldSumSquares(), within(1e-12 * left.kldSumSquares()));
    assertThat(grouped.deltaPSquaresSum())
        .isCloseTo(left.deltaPSquaresSum(), within(1e-12 * left.deltaPSquaresSum()));
    assertThat(grouped.referenceTargetLogProbSum())
        .isCloseTo(
            left.referenceTargetLogProbSum(),
            within(1e-12 * Math.abs(left.referenceTargetLogProbSum())));
  }

  @Test
  void combineKeepsSharedCategory() {
    Random random = new Random(34);
    List<SampleStats> code =
        List.of(randomSample(random, "a", "code"), randomSample(random, "b", "code"));
    assertThat(SampleStats.combine(code).category()).isEqualTo("code");
    assertThat(SampleStats.combine(code).sampleId()).isEqualTo(SampleStats.ALL);
  }

  @Test
  void combineRejectsBadOrder() {
    Random random = new Random(35);
    SampleStats a = randomSample(random, "a", "code");
    SampleStats b = randomSample(random, "b", "code");
    assertThatThrownBy(() -> SampleStats.combine(List.of(b, a)))
        .hasMessage(
            "Cannot combine sample statistics: sample 'a' at index 1 follows 'b', expected"
                + " strictly ascending sample ids (one row per sample, sorted with"
                + " SampleStats.BY_SAMPLE_ID)");
    assertThatThrownBy(() -> SampleStats.combine(List.of(a, a)))
        .hasMessageContaining("sample 'a' at index 1 follows 'a'");
    assertThatThrownBy(() -> SampleStats.combine(List.of()))
        .hasMessage("Cannot combine sample statistics: the list is empty");
  }

  @Test
  void rowRoundTrip() {
    SampleStats stats = randomSample(new Random(36), "x", "dialogue");
    SampleStatsRow row = stats.toRow();
    SampleStats restored = SampleStats.fromRow(row);
    assertThat(restored.toRow()).isEqualTo(row);
    assertThat(restored.kldQuantile(0.99)).isEqualTo(stats.kldQuantile(0.99));
  }

  @Test
  void fromRowRejectsInconsistentColumns() {
    SampleStatsRow row = randomSample(new Random(37), "x", "code").toRow();
    SampleStatsRow wrongTokens =
        new SampleStatsRow(
            row.sampleId(),
            row.category(),
            row.tokens() + 1,
            row.kldSum(),
            row.kldSumSquares(),
            row.kldMax(),
            row.kldSketch(),
            row.top1Agreements(),
            row.deltaPSquaresSum(),
            row.referenceTargetLogProbSum(),
            row.quantizedTargetLogProbSum());
    assertThatThrownBy(() -> SampleStats.fromRow(wrongTokens))
        .hasMessage(
            "Invalid results row for sample x: kldSketch holds "
                + row.tokens()
                + " values but tokens is "
                + (row.tokens() + 1)
                + ". The row is corrupt, so recompute it");
    assertThatThrownBy(() -> new SampleStatsRow("x", "code", 1, -1, 0, 0, new byte[1], 0, 0, 0, 0))
        .hasMessage(
            "Invalid results row for sample x: kldSum is -1.0, expected a finite value >= 0");
    assertThatThrownBy(() -> new SampleStatsRow("x", "code", 1, 0, 0, 0, new byte[1], 2, 0, 0, 0))
        .hasMessage(
            "Invalid results row for sample x: tokens 1 and top1Agreements 2, expected 0 <="
                + " top1Agreements <= tokens");
    assertThatThrownBy(() -> new SampleStatsRow("x", "code", 1, 0, 0, 0, new byte[1], 0, 0, 0, 3))
        .hasMessage(
            "Invalid results row for sample x: quantizedTargetLogProbSum is 3.0, expected a finite"
                + " value <= 0");
    assertThatThrownBy(() -> new SampleStatsRow("", "code", 1, 0, 0, 0, new byte[1], 0, 0, 0, 0))
        .hasMessage("Invalid results row: sample id '' and category 'code' must both be non-empty");
  }

  @Test
  void addRejectsInfiniteValues() {
    SampleStats stats = new SampleStats("s9", "code");
    assertThatThrownBy(
            () -> stats.add(new PositionResult(Double.POSITIVE_INFINITY, -1f, -1f, false)))
        .hasMessage(
            "Cannot add position 0 of sample s9: KLD Infinity and target log-probabilities -1.0"
                + " (reference) and -1.0 (quantized) must be finite. Check the quantized logits"
                + " for extreme values");
    assertThat(stats.tokens()).isZero();
  }

  private static SampleStats copy(SampleStats stats) {
    return SampleStats.fromRow(stats.toRow());
  }
}
