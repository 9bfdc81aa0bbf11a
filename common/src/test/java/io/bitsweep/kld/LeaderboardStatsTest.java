package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.commons.math3.stat.descriptive.moment.Mean;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.junit.jupiter.api.Test;

class LeaderboardStatsTest {
  /** Agreement between sums accumulated in different orders. */
  private static final double SUM_TOLERANCE = 1e-12;

  @Test
  void statisticsMatchCommonsMath() {
    Random random = new Random(40);
    String[] categories = {"code", "dialogue"};
    List<SampleStats> samples = new ArrayList<>();
    Map<String, List<SampleStats>> samplesByCategory = new HashMap<>();
    List<Double> klds = new ArrayList<>();
    Map<String, List<Double>> kldsByCategory = new HashMap<>();
    double referenceLogProbSum = 0;
    double quantizedLogProbSum = 0;
    double deltaPSquares = 0;
    int agreements = 0;
    for (int s = 0; s < 60; s++) {
      String category = categories[s % 2];
      SampleStats sample = new SampleStats(String.format(Locale.ROOT, "s%03d", s), category);
      for (int i = 0; i < 200; i++) {
        double kld =
            Math.exp(Math.log(category.equals("code") ? 0.01 : 0.002) + random.nextGaussian());
        float referenceLogProb = (float) -Math.abs(2 * random.nextGaussian());
        float quantizedLogProb = (float) (referenceLogProb - 0.1 * random.nextDouble());
        boolean agrees = random.nextInt(20) > 0;
        PositionResult result = new PositionResult(kld, referenceLogProb, quantizedLogProb, agrees);
        sample.add(result);
        klds.add(kld);
        kldsByCategory.computeIfAbsent(category, c -> new ArrayList<>()).add(kld);
        referenceLogProbSum += referenceLogProb;
        quantizedLogProbSum += quantizedLogProb;
        deltaPSquares += result.deltaP() * result.deltaP();
        agreements += agrees ? 1 : 0;
      }
      samples.add(sample);
      samplesByCategory.computeIfAbsent(category, c -> new ArrayList<>()).add(sample);
    }
    Map<String, SampleStats> byCategory = new TreeMap<>();
    samplesByCategory.forEach(
        (category, list) -> byCategory.put(category, SampleStats.combine(list)));
    LeaderboardStats stats = LeaderboardStats.of(SampleStats.combine(samples), byCategory);

    double[] values = klds.stream().mapToDouble(Double::doubleValue).toArray();
    int n = values.length;
    assertThat(stats.tokens()).isEqualTo(n);
    double mean = new Mean().evaluate(values);
    assertThat(stats.meanKld()).isCloseTo(mean, within(SUM_TOLERANCE * mean));
    double standardError = new StandardDeviation().evaluate(values) / Math.sqrt(n);
    assertThat(stats.kldStandardError()).isCloseTo(standardError, within(1e-9 * standardError));

    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    double[][] quantiles = {
      {stats.medianKld(), 0.5},
      {stats.p90Kld(), 0.9},
      {stats.p99Kld(), 0.99},
      {stats.p999Kld(), 0.999}
    };
    for (double[] quantile : quantiles) {
      double exact = sorted[(int) Math.round(quantile[1] * n) - 1]; // n * fraction is an integer
      assertThat(quantile[0])
          .as("quantile %s", quantile[1])
          .isCloseTo(exact, within(KldSketch.RELATIVE_PRECISION * exact + KldSketch.UNIT_NATS));
    }
    assertThat(stats.maxKld()).isEqualTo(klds.stream().mapToDouble(d -> d).max().orElseThrow());
    assertThat(stats.top1Agreement()).isEqualTo((double) agreements / n);
    assertThat(stats.rmsDeltaP()).isCloseTo(Math.sqrt(deltaPSquares / n), within(1e-12));

    double referencePerplexity = Math.exp(-referenceLogProbSum / n);
    double quantizedPerplexity = Math.exp(-quantizedLogProbSum / n);
    assertThat(stats.perplexityRatio())
        .isCloseTo(quantizedPerplexity / referencePerplexity, within(1e-12));
    assertThat(stats.perplexityRatio()).isGreaterThan(1);

    assertThat(stats.meanKldByCategory()).containsOnlyKeys("code", "dialogue");
    for (String category : categories) {
      double categoryMean =
          new Mean().evaluate(kldsByCategory.get(category).stream().mapToDouble(d -> d).toArray());
      assertThat(stats.meanKldByCategory().get(category))
          .as("mean KLD of %s", category)
          .isCloseTo(categoryMean, within(SUM_TOLERANCE * categoryMean));
    }
  }

  @Test
  void singleTokenHasZeroStandardError() {
    SampleStats sample = new SampleStats("only", "code");
    sample.add(new PositionResult(0.125, -1f, -1f, true));
    LeaderboardStats stats = LeaderboardStats.of(SampleStats.combine(List.of(sample)), Map.of());
    assertThat(stats.kldStandardError()).isZero();
    assertThat(stats.meanKld()).isEqualTo(0.125);
    assertThat(stats.maxKld()).isEqualTo(0.125);
    assertThat(stats.p999Kld()).as("capped at the exact max").isLessThanOrEqualTo(0.125);
    assertThat(stats.perplexityRatio()).isEqualTo(1.0);
  }

  @Test
  void rejectsEmptyStatistics() {
    SampleStats empty = new SampleStats("a", "code");
    assertThatThrownBy(() -> LeaderboardStats.of(empty, Map.of()))
        .hasMessage(
            "Cannot rank a configuration with no scored tokens. Check that the results table has"
                + " rows for it");
    SampleStats one = new SampleStats("b", "code");
    one.add(new PositionResult(0.1, -1f, -1f, true));
    assertThatThrownBy(() -> LeaderboardStats.of(one, Map.of("tool_call", empty)))
        .hasMessage("Cannot compute the mean KLD of category tool_call: it has no scored tokens");
  }

  @Test
  void rejectsUnorderedQuantiles() {
    assertThatThrownBy(
            () ->
                new LeaderboardStats(
                    10, 0.1, 0.01, 0.2, 0.1, 0.3, 0.4, 0.5, 1, 0, 1, new TreeMap<>()))
        .hasMessage(
            "Invalid leaderboard statistics: KLD median 0.2, p90 0.1, p99 0.3, p99.9 0.4 and max"
                + " 0.5 must be finite, >= 0 and non-decreasing");
    assertThatThrownBy(
            () ->
                new LeaderboardStats(
                    10, 0.1, 0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 1.5, 0, 1, new TreeMap<>()))
        .hasMessage("Invalid leaderboard statistics: top1Agreement is 1.5, expected [0, 1]");
    assertThatThrownBy(
            () ->
                new LeaderboardStats(
                    10,
                    0.1,
                    0.01,
                    0.1,
                    0.2,
                    0.3,
                    0.4,
                    0.5,
                    1,
                    0,
                    Double.POSITIVE_INFINITY,
                    new TreeMap<>()))
        .hasMessage(
            "Invalid leaderboard statistics: perplexityRatio is Infinity, expected a finite value"
                + " >= 0");
  }
}
