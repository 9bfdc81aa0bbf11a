package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** An end-to-end test of reference, comparison, per-sample statistics, combining and ranking. */
class KldPipelineTest {
  private static final int VOCAB = 512;
  private static final int POSITIONS_PER_SAMPLE = 25;
  private static final String[] CATEGORIES = {"code", "dialogue", "tool_call", "code"};

  @Test
  void noisierConfigurationsRankLower() {
    Random random = new Random(60);
    List<float[]> referenceLogits = new ArrayList<>();
    List<List<ReferencePosition>> reference = new ArrayList<>();
    for (int sample = 0; sample < CATEGORIES.length; sample++) {
      float[] logits = ReferenceDistributionTest.peakedLogits(random, POSITIONS_PER_SAMPLE, VOCAB);
      referenceLogits.add(logits);
      reference.add(referencePositions(logits, random));
    }

    List<LeaderboardEntry> entries = new ArrayList<>();
    double[] noise = {0, 0.1, 1.0};
    long[] sizes = {1_000_000, 600_000, 400_000};
    for (int config = 0; config < noise.length; config++) {
      List<SampleStatsRow> results = new ArrayList<>();
      for (int sample = CATEGORIES.length - 1; sample >= 0; sample--) {
        float[] quantized =
            ReferenceDistributionTest.addNoise(
                new Random(61 + sample), referenceLogits.get(sample), noise[config]);
        results.add(sampleStats(sample, reference.get(sample), quantized).toRow());
      }
      String id = "config-" + config;
      entries.add(
          new LeaderboardEntry(id, "noise " + noise[config], sizes[config], 4, rank(results)));
    }

    List<LeaderboardRow> rows = Leaderboard.rank(entries);
    System.out.print(LeaderboardPrinter.format(rows));
    assertThat(rows)
        .extracting(LeaderboardRow::configId)
        .containsExactly("config-0", "config-1", "config-2");
    assertThat(rows).allMatch(LeaderboardRow::pareto);
    LeaderboardRow identical = rows.get(0);
    assertThat(identical.meanKld()).isEqualTo(0.0);
    assertThat(identical.maxKld()).isEqualTo(0.0);
    assertThat(identical.top1Agreement()).isEqualTo(1.0);
    assertThat(identical.rmsDeltaP()).isEqualTo(0.0);
    assertThat(identical.perplexityRatio()).isEqualTo(1.0);
    assertThat(identical.tokens()).isEqualTo((long) CATEGORIES.length * POSITIONS_PER_SAMPLE);
    assertThat(identical.meanKldByCategory()).containsOnlyKeys("code", "dialogue", "tool_call");
    assertThat(rows.get(2).meanKld()).isGreaterThan(rows.get(1).meanKld());
    assertThat(rows.get(2).top1Agreement()).isLessThan(1.0);
  }

  private static List<ReferencePosition> referencePositions(float[] logits, Random random) {
    List<ReferencePosition> positions = new ArrayList<>();
    for (int position = 0; position < POSITIONS_PER_SAMPLE; position++) {
      int target = random.nextInt(VOCAB);
      positions.add(
          ReferencePosition.of(
              logits, position * VOCAB, VOCAB, target, ReferenceEncoding.defaultEncoding()));
    }
    return positions;
  }

  private static SampleStats sampleStats(
      int sample, List<ReferencePosition> reference, float[] quantized) {
    SampleStats stats = new SampleStats("sample-" + sample, CATEGORIES[sample]);
    for (int position = 0; position < reference.size(); position++) {
      stats.add(reference.get(position).compare(quantized, position * VOCAB, VOCAB));
    }
    return stats;
  }

  /** Combines result rows as the rank job does: restore, sort by sample id, combine. */
  private static LeaderboardStats rank(List<SampleStatsRow> results) {
    List<SampleStats> samples = new ArrayList<>();
    results.forEach(row -> samples.add(SampleStats.fromRow(row)));
    samples.sort(SampleStats.BY_SAMPLE_ID);
    Map<String, List<SampleStats>> grouped = new TreeMap<>();
    samples.forEach(s -> grouped.computeIfAbsent(s.category(), c -> new ArrayList<>()).add(s));
    Map<String, SampleStats> byCategory = new TreeMap<>();
    grouped.forEach((category, list) -> byCategory.put(category, SampleStats.combine(list)));
    return LeaderboardStats.of(SampleStats.combine(samples), byCategory);
  }
}
