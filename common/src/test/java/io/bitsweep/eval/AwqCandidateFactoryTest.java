package io.bitsweep.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.awq.ActivationRecorder;
import io.bitsweep.awq.ActivationStats;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.kld.SampleStats;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AwqCandidateFactoryTest {
  private static final String PLAIN = "{\"default\": \"3/64\"}";
  private static final String ATTENTION_AWQ =
      "{\"default\": \"3/64\", \"groups\": {\"attn_qkv\": \"3/64+awq\"}}";
  private static final String ALL_AWQ =
      "{\"default\": \"3/64\", \"groups\": {\"attn_qkv\": \"3/64+awq\", \"gdn_in\": \"3/64+awq\","
          + " \"mlp_up\": \"3/64+awq\", \"mlp_down\": \"3/64+awq\"}}";

  private static LanguageModel model;
  private static List<ShardSample> samples;
  private static ActivationStats stats;

  @BeforeAll
  static void setUp() {
    model = LanguageModel.open(SharedModels.require(SharedModels.QWEN35_TINY));
    int[][] sequences = {
      {1, 211, 110, 52, 166, 210, 71, 77, 114, 1163, 3, 860, 134, 913, 205, 1892, 91, 10},
      {1, 45, 57, 159, 797, 134, 169, 117, 86, 205, 639, 392, 104, 476, 10, 208, 110},
      {1, 53, 71, 601, 114, 1568, 3, 208}
    };
    samples = new ArrayList<>();
    List<int[]> batch = new ArrayList<>();
    for (int i = 0; i < sequences.length; i++) {
      boolean[] mask = new boolean[sequences[i].length];
      Arrays.fill(mask, true);
      samples.add(new ShardSample("s" + i, "dialogue", sequences[i], mask));
      batch.add(sequences[i]);
    }
    ActivationRecorder recorder = new ActivationRecorder(model.weights());
    HiddenStates h = model.forwardPass().embed(batch, recorder);
    model.forwardPass().layers(h, recorder);
    stats = recorder.snapshot();
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  private static CandidateFactory factory(ActivationStats activationStats) {
    Checkpoint checkpoint = ((CheckpointWeights) model.weights()).checkpoint();
    Map<String, TensorInfo> tensors = checkpoint.tensors();
    return new CandidateFactory(
        model.config(),
        model.weights(),
        tensors,
        QuantPlan.HeadTying.detect(checkpoint.configJson(), tensors),
        new FakeQuantCache(1 << 26),
        activationStats);
  }

  private static QuantConfig configuration(String json) {
    return QuantConfig.parse(json, "test configuration");
  }

  @Test
  void awqWithoutStatisticsPointsToReference() {
    CandidateFactory factory = factory(null);
    QuantConfig awq = configuration(ATTENTION_AWQ);
    assertThatThrownBy(() -> factory.candidate(awq))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Configuration "
                + awq.id()
                + " ("
                + awq.label()
                + ") requests AWQ on layer 3 attention_input, layer 7 attention_input, but no"
                + " activation statistics were given; run `bitsweep reference` first, which records"
                + " activation statistics");
    assertThat(factory.candidate(configuration(PLAIN)).weights()).isNotNull();
  }

  @Test
  void signaturesNameFoldedNorms() {
    CandidateFactory factory = factory(stats);
    Candidate plain = factory.candidate(configuration(PLAIN));
    Candidate attention = factory.candidate(configuration(ATTENTION_AWQ));
    assertThat(attention.signature(0)).isEqualTo(plain.signature(0));
    assertThat(attention.signature(1))
        .as("layer 0, linear attention")
        .isEqualTo(plain.signature(1));
    assertThat(attention.signature(4))
        .as("layer 3, full attention")
        .isNotEqualTo(plain.signature(4));
    assertThat(attention.signature(4))
        .contains(
            "model.language_model.layers.3.input_layernorm.weight=bf16 awq(layer 3"
                + " attention_input 3/64+awq 3/64+awq 3/64+awq);");
    assertThat(plain.signature(4)).doesNotContain("awq");
  }

  @Test
  void sharedEvaluationMatchesSeparateRuns() {
    CandidateFactory factory = factory(stats);
    List<Candidate> candidates =
        List.of(
            factory.candidate(configuration(PLAIN)),
            factory.candidate(configuration(ATTENTION_AWQ)),
            factory.candidate(configuration(ALL_AWQ)));
    List<ReferencePosition[]> references =
        new ReferenceRunner(model.forwardPass())
            .run(samples, model.weights(), ReferenceEncoding.defaultTopK());
    PrefixTreeEvaluator evaluator =
        new PrefixTreeEvaluator(model.forwardPass(), StageCosts.of(model.config(), tensors()));

    PrefixTreeEvaluator.Result together = evaluator.evaluate(candidates, samples, references);
    for (Candidate candidate : candidates) {
      List<SampleStats> alone =
          evaluator.evaluate(List.of(candidate), samples, references).stats().get(candidate.id());
      List<SampleStats> shared = together.stats().get(candidate.id());
      for (int s = 0; s < samples.size(); s++) {
        assertThat(shared.get(s).toRow())
            .as("stats of %s on sample %d", candidate.id(), s)
            .isEqualTo(alone.get(s).toRow());
      }
    }
    double plainKld = together.stats().get(candidates.get(0).id()).get(0).kldSum();
    double awqKld = together.stats().get(candidates.get(2).id()).get(0).kldSum();
    assertThat(awqKld).as("AWQ changes the model").isNotEqualTo(plainKld);
  }

  private static Map<String, TensorInfo> tensors() {
    return ((CheckpointWeights) model.weights()).checkpoint().tensors();
  }
}
