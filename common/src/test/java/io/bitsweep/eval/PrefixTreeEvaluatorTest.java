package io.bitsweep.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.kld.SampleStats;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.WeightSource;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PrefixTreeEvaluatorTest {
  private static LanguageModel model;
  private static List<ShardSample> samples;
  private static List<ReferencePosition[]> references;

  @BeforeAll
  static void setUp() {
    model = LanguageModel.open(SharedModels.require(SharedModels.QWEN35_TINY));
    samples = new ArrayList<>();
    int[][] sequences = {
      {1, 211, 110, 52, 166, 210, 71, 77, 114, 1163, 3, 860, 134, 913, 205, 1892, 91, 10},
      {1, 45, 57, 159, 797, 134, 169, 117, 86, 205, 639, 392, 104, 476, 10, 208, 110},
      {1, 53, 71, 601, 114, 1568, 3, 208}
    };
    for (int i = 0; i < sequences.length; i++) {
      boolean[] mask = new boolean[sequences[i].length];
      Arrays.fill(mask, true);
      samples.add(new ShardSample("s" + i, i == 2 ? "code" : "dialogue", sequences[i], mask));
    }
    references =
        new ReferenceRunner(model.forwardPass())
            .run(samples, model.weights(), ReferenceEncoding.defaultTopK());
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  @Test
  void unquantizedCandidateScoresZeroKld() {
    Candidate bf16 = candidate("bf16", "$^");
    PrefixTreeEvaluator.Result result = evaluator().evaluate(List.of(bf16), samples, references);
    for (SampleStats stats : result.stats().get("bf16")) {
      assertThat(stats.kldSum()).as("KLD sum of %s", stats.sampleId()).isZero();
      assertThat(stats.top1Agreements()).isEqualTo(stats.tokens());
    }
  }

  @Test
  void sharedPrefixesGiveSameStatsAsIndependentRuns() {
    List<Candidate> candidates =
        List.of(
            candidate("late-mlp", "layers\\.7\\.mlp\\."),
            candidate("late-attn", "layers\\.7\\.self_attn\\."),
            candidate("head", "^lm_head"),
            candidate("early", "layers\\.0\\.linear_attn\\.out_proj"),
            candidate("late-mlp-twin", "layers\\.7\\.mlp\\."));
    PrefixTreeEvaluator.Result together = evaluator().evaluate(candidates, samples, references);
    for (Candidate candidate : candidates) {
      PrefixTreeEvaluator.Result alone =
          evaluator().evaluate(List.of(candidate), samples, references);
      List<SampleStats> expected = alone.stats().get(candidate.id());
      List<SampleStats> actual = together.stats().get(candidate.id());
      for (int s = 0; s < samples.size(); s++) {
        assertThat(actual.get(s).toRow())
            .as("stats of %s on %s", candidate.id(), samples.get(s).sampleId())
            .isEqualTo(expected.get(s).toRow());
      }
      assertThat(expected.get(0).kldSum()).as("KLD of %s", candidate.id()).isPositive();
    }
    // 5 candidates x 10 stages = 50 independent stages. The tree runs one embedding. Layers 0-6
    // run twice, because the early candidate splits off at layer 0. Layer 7 runs three ways in
    // the main branch and once in the early one. Four heads run, because the twins share one.
    assertThat(together.work().stagesIndependent()).isEqualTo(50);
    assertThat(together.work().stagesRun()).isEqualTo(1 + 2 * 7 + (3 + 1) + 4);
    assertThat(together.work().costFraction()).isLessThan(0.6);
    List<List<String>> signatures = new ArrayList<>();
    candidates.forEach(c -> signatures.add(c.signatures()));
    WorkCount planned = PrefixTreePlan.count(signatures, StageCosts.of(model.config(), tensors()));
    assertThat(planned.stagesRun()).as("planned stages").isEqualTo(together.work().stagesRun());
    assertThat(planned.costFraction()).isEqualTo(together.work().costFraction());
  }

  private PrefixTreeEvaluator evaluator() {
    return new PrefixTreeEvaluator(
        model.forwardPass(), StageCosts.of(model.config(), tensors()));
  }

  private static Map<String, TensorInfo> tensors() {
    Map<String, TensorInfo> out = new java.util.TreeMap<>();
    for (var expected : model.config().expectedTensors()) {
      out.put(expected.name(), model.weights().info(expected.name()));
    }
    return out;
  }

  /** A candidate whose tensors matching {@code pattern} get a fixed perturbation. */
  private static Candidate candidate(String id, String pattern) {
    WeightSource weights = new PerturbedWeights(model.weights(), Pattern.compile(pattern));
    int layers = model.config().numHiddenLayers();
    List<String> signatures = new ArrayList<>();
    signatures.add(touches(pattern, "model.language_model.embed_tokens.weight"));
    for (int i = 0; i < layers; i++) {
      String prefix = "model.language_model.layers." + i + ".";
      boolean any =
          tensors().keySet().stream()
              .filter(n -> n.startsWith(prefix))
              .anyMatch(n -> Pattern.compile(pattern).matcher(n).find());
      signatures.add(any ? pattern : "-");
    }
    signatures.add(touches(pattern, "lm_head.weight"));
    return new Candidate(id, weights, signatures);
  }

  private static String touches(String pattern, String name) {
    return Pattern.compile(pattern).matcher(name).find() ? pattern : "-";
  }

  /** Adds a deterministic relative perturbation to the tensors whose names match. */
  private static final class PerturbedWeights implements WeightSource {
    private final WeightSource base;
    private final Pattern pattern;
    private final Map<String, float[]> cache = new ConcurrentHashMap<>();

    PerturbedWeights(WeightSource base, Pattern pattern) {
      this.base = base;
      this.pattern = pattern;
    }

    @Override
    public TensorInfo info(String name) {
      return base.info(name);
    }

    @Override
    public boolean contains(String name) {
      return base.contains(name);
    }

    @Override
    public float[] read(String name) {
      if (!pattern.matcher(name).find()) {
        return base.read(name);
      }
      return cache.computeIfAbsent(
          name,
          n -> {
            float[] values = base.read(n).clone();
            for (int i = 0; i < values.length; i++) {
              values[i] *= 1f + 0.2f * (((i * 2654435761L) >>> 7) % 3 - 1);
            }
            return values;
          });
    }

    @Override
    public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
      int cols = (int) base.info(name).lastDim();
      System.arraycopy(read(name), (int) (firstRow * cols), dst, dstOffset, rowCount * cols);
    }
  }
}
