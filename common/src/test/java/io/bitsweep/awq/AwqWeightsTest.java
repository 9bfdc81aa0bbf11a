package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.ExpectedTensor;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.RandomCheckpoints;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.FakeQuantWeights;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AwqWeightsTest {
  private static final String ALL_AWQ =
      "{\"default\": \"3/64\", \"groups\": {\"attn_qkv\": \"3/64+awq\", \"gdn_in\": \"3/64+awq\","
          + " \"gdn_ab\": \"bf16\", \"mlp_up\": \"3/64+awq\", \"mlp_down\": \"3/64+awq\"}}";

  private static final String LAYER0 = "model.language_model.layers.0.";

  private static AwqWeights awq(String json, AwqScaleCache cache) {
    ModelConfig config = TinyModel.model().config();
    return new AwqWeights(
        config, TinyModel.model().weights(), TinyModel.plan(json), TinyModel.stats(), cache);
  }

  @Test
  void evaluationMatchesHandBuiltWeights() {
    QuantPlan plan = TinyModel.plan(ALL_AWQ);
    AwqWeights awq = awq(ALL_AWQ, new AwqScaleCache());
    WeightSource evaluated = new FakeQuantWeights(awq, plan, new FakeQuantCache(1 << 26));

    Map<String, float[]> scales = new HashMap<>();
    for (AwqUnit unit : awq.activeUnits()) {
      AwqResult result = awq.result(unit);
      if (result.scaled()) {
        scales.put(unit.label(), result.scales());
      }
    }
    for (AwqUnit.Kind kind : AwqUnit.Kind.values()) {
      assertThat(awq.activeUnits())
          .as("scaled units of kind %s", kind)
          .anyMatch(u -> u.kind() == kind && awq.result(u).scaled());
    }
    WeightSource handBuilt = new HandBuiltWeights(awq.activeUnits(), scales, plan);

    ForwardPass pass = TinyModel.model().forwardPass();
    for (int[] sequence : TinyModel.sequences()) {
      float[] expected = pass.logits(sequence, handBuilt);
      float[] actual = pass.logits(sequence, evaluated);
      assertThat(actual)
          .as("logits of a %d-token sequence", sequence.length)
          .containsExactly(expected);
    }
  }

  /**
   * The configuration's weights built directly from the scales, without AwqWeights or
   * AwqTransforms: columns times s, up_proj rows over s, norms folded as bf16((1 + w) / s) - 1,
   * each rounded to bf16, then fake-quantized per the plan.
   */
  private static final class HandBuiltWeights implements WeightSource {
    private final Map<String, float[]> values = new HashMap<>();
    private final WeightSource origin = TinyModel.model().weights();

    HandBuiltWeights(List<AwqUnit> units, Map<String, float[]> scales, QuantPlan plan) {
      Map<String, float[]> rowDivisors = new HashMap<>();
      Map<String, float[]> columnScales = new HashMap<>();
      Map<String, float[]> normScales = new HashMap<>();
      for (AwqUnit unit : units) {
        float[] s = scales.get(unit.label());
        if (s == null) {
          continue;
        }
        unit.readers().forEach(r -> columnScales.put(r, s));
        (unit.kind() == AwqUnit.Kind.MLP_DOWN ? rowDivisors : normScales).put(unit.previous(), s);
      }
      for (ExpectedTensor tensor : TinyModel.model().config().expectedTensors()) {
        String name = tensor.name();
        float[] w = origin.read(name).clone();
        int columns = (int) origin.info(name).lastDim();
        if (normScales.containsKey(name)) {
          float[] s = normScales.get(name);
          for (int c = 0; c < w.length; c++) {
            w[c] = Floats.roundToBf16((1f + w[c]) / s[c]) - 1f;
          }
        }
        if (rowDivisors.containsKey(name) || columnScales.containsKey(name)) {
          float[] rows = rowDivisors.get(name);
          float[] cols = columnScales.get(name);
          for (int i = 0; i < w.length; i++) {
            float v = rows == null ? w[i] : w[i] / rows[i / columns];
            w[i] = Floats.roundToBf16(cols == null ? v : v * cols[i % columns]);
          }
        }
        QuantPlan.Entry entry = plan.entries().get(name);
        if (entry.disposition() == QuantPlan.Disposition.QUANTIZED) {
          w = AffineQuantizer.of(entry.setting()).fakeQuantize(w, tensor.shape(), DType.BF16);
        }
        values.put(name, w);
      }
    }

    @Override
    public TensorInfo info(String name) {
      return origin.info(name);
    }

    @Override
    public boolean contains(String name) {
      return values.containsKey(name);
    }

    @Override
    public float[] read(String name) {
      return values.get(name);
    }

    @Override
    public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
      int columns = (int) origin.info(name).lastDim();
      System.arraycopy(
          values.get(name), (int) firstRow * columns, dst, dstOffset, rowCount * columns);
    }
  }

  /**
   * Follows the MLX writer: reads each tensor's rows, shifts zero-centred norms by +1 in fp32, then
   * quantizes or rounds to the checkpoint dtype. What it would store must be what the evaluation
   * computes with.
   */
  @Test
  void writerPathReproducesEvaluation() {
    QuantPlan plan = TinyModel.plan(ALL_AWQ);
    ModelConfig config = TinyModel.model().config();
    WeightSource written =
        AwqWeights.writerTransform(config, plan, TinyModel.stats())
            .apply(TinyModel.model().weights());
    AwqWeights awq = awq(ALL_AWQ, new AwqScaleCache());
    WeightSource evaluated = new FakeQuantWeights(awq, plan, new FakeQuantCache(1 << 26));
    for (int layer : new int[] {0, 3}) {
      String p = config.layerPrefix(layer);
      for (String name :
          List.of(
              p + "input_layernorm.weight",
              p + "post_attention_layernorm.weight",
              p + "mlp.up_proj.weight",
              p + "mlp.down_proj.weight",
              layer == 0 ? p + "linear_attn.in_proj_b.weight" : p + "self_attn.k_proj.weight")) {
        TensorInfo info = written.info(name);
        int columns = (int) info.lastDim();
        int rows = (int) (info.elementCount() / columns);
        float[] values = new float[rows * columns];
        written.readRows(name, 0, rows, values, 0);
        float[] expected = evaluated.read(name);
        QuantPlan.Entry entry = plan.entries().get(name);
        if (entry.disposition() == QuantPlan.Disposition.QUANTIZED) {
          float[] stored =
              AffineQuantizer.of(entry.setting())
                  .quantize(values, new long[] {rows, columns}, info.dtype())
                  .dequantize();
          assertThat(stored).as("dequantized %s", name).containsExactly(expected);
        } else if (name.endsWith("layernorm.weight")) {
          for (int c = 0; c < columns; c++) {
            float storedMultiplier = Floats.roundToBf16(values[c] + 1f);
            assertThat(storedMultiplier).as("%s[%d]", name, c).isEqualTo(1f + expected[c]);
          }
        } else {
          for (int i = 0; i < values.length; i++) {
            assertThat(Floats.roundToBf16(values[i])).as("%s[%d]", name, i).isEqualTo(expected[i]);
          }
        }
      }
    }
  }

  @Test
  void readRowsMatchesRead() {
    AwqWeights awq = awq(ALL_AWQ, new AwqScaleCache());
    List<String> names =
        List.of(
            LAYER0 + "input_layernorm.weight",
            LAYER0 + "linear_attn.in_proj_a.weight",
            LAYER0 + "mlp.up_proj.weight",
            LAYER0 + "mlp.down_proj.weight",
            LAYER0 + "linear_attn.out_proj.weight");
    for (String name : names) {
      float[] whole = awq.read(name);
      int columns = (int) awq.info(name).lastDim();
      int rows = whole.length / columns;
      int first = rows / 3;
      int count = rows - first;
      float[] slice = new float[count * columns + 2];
      awq.readRows(name, first, count, slice, 2);
      assertThat(Arrays.copyOfRange(slice, 2, slice.length))
          .as("rows %d.. of %s", first, name)
          .containsExactly(Arrays.copyOfRange(whole, first * columns, whole.length));
    }
  }

  @Test
  void derivedValuesAreExactInBf16() {
    AwqWeights awq = awq(ALL_AWQ, new AwqScaleCache());
    for (String name :
        List.of(LAYER0 + "linear_attn.in_proj_qkv.weight", LAYER0 + "mlp.up_proj.weight")) {
      for (float v : awq.read(name)) {
        assertThat(Floats.roundToBf16(v)).as("a value of %s", name).isEqualTo(v);
      }
    }
    String norm = LAYER0 + "post_attention_layernorm.weight";
    assertThat(awq.transformKey(norm)).startsWith("norm/");
    for (float v : awq.read(norm)) {
      assertThat(Floats.roundToBf16(v + 1f)).as("a multiplier of %s", norm).isEqualTo(v + 1f);
    }
  }

  @Test
  void searchIsDeterministicAndShared() {
    AwqScaleCache cache = new AwqScaleCache();
    AwqWeights first = awq(ALL_AWQ, cache);
    AwqWeights second = awq(ALL_AWQ, new AwqScaleCache());
    for (AwqUnit unit : first.activeUnits()) {
      AwqResult a = first.result(unit);
      AwqResult b = second.result(unit);
      assertThat(b.scalesKey()).as("%s", unit.label()).isEqualTo(a.scalesKey());
      assertThat(b.plainLoss()).as("%s", unit.label()).isEqualTo(a.plainLoss());
    }
    int searches = cache.size();
    assertThat(searches).isEqualTo(first.activeUnits().size());
    AwqWeights again = awq(ALL_AWQ, cache);
    String up = LAYER0 + "mlp.up_proj.weight";
    assertThat(again.read(up)).containsExactly(first.read(up));
    assertThat(cache.size()).as("searches after a second configuration").isEqualTo(searches);
  }

  @Test
  void upProjKeyDependsOnBothUnits() {
    String up = LAYER0 + "mlp.up_proj.weight";
    String gate = LAYER0 + "mlp.gate_proj.weight";
    AwqScaleCache cache = new AwqScaleCache();
    AwqWeights upOnly =
        awq("{\"default\": \"3/64\", \"groups\": {\"mlp_up\": \"3/64+awq\"}}", cache);
    AwqWeights downOnly =
        awq("{\"default\": \"3/64\", \"groups\": {\"mlp_down\": \"3/64+awq\"}}", cache);
    AwqWeights both = awq(ALL_AWQ, cache);

    assertThat(downOnly.transformKey(gate)).isEmpty();
    assertThat(downOnly.transformKey(up)).startsWith("rows/");
    assertThat(upOnly.transformKey(up)).startsWith("columns*");
    assertThat(both.transformKey(up)).startsWith("rows/").contains(" columns*");
    assertThat(both.transformKey(up)).isNotEqualTo(upOnly.transformKey(up));
    assertThat(both.transformSignature(up))
        .isEqualTo(
            "layer 0 mlp_down 3/64+awq; layer 0 mlp_input 3/64+awq 3/64+awq after layer 0"
                + " mlp_down 3/64+awq");
  }

  @Test
  void llamaFoldsPlainNorms() {
    try (LanguageModel llama = LanguageModel.open(SharedModels.require(SharedModels.LLAMA_TINY))) {
      ActivationRecorder recorder = new ActivationRecorder(llama.weights());
      int[] ids = new int[48];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 1 + (i * 37) % 2000;
      }
      HiddenStates h = llama.forwardPass().embed(List.of(ids), recorder);
      llama.forwardPass().layers(h, recorder);
      Checkpoint checkpoint = ((CheckpointWeights) llama.weights()).checkpoint();
      QuantPlan plan =
          QuantPlan.resolve(
              QuantConfig.parse(
                  "{\"default\": \"4/64\", \"groups\": {\"attn_qkv\": \"2/64+awq\","
                      + " \"mlp_up\": \"2/64+awq\", \"mlp_down\": \"2/64+awq\"}}",
                  "llama test"),
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()));
      AwqWeights awq =
          new AwqWeights(
              llama.config(), llama.weights(), plan, recorder.snapshot(), new AwqScaleCache());

      assertThat(awq.activeUnits()).hasSize(6);
      int checked = 0;
      for (AwqUnit unit : awq.activeUnits()) {
        AwqResult result = awq.result(unit);
        if (!result.scaled() || unit.previousKind() != AwqUnit.Previous.PLAIN_NORM) {
          continue;
        }
        float[] s = result.scales();
        float[] norm = llama.weights().read(unit.previous());
        float[] folded = awq.read(unit.previous());
        float[] reader = llama.weights().read(unit.projections().get(0));
        float[] scaled = awq.read(unit.projections().get(0));
        for (int c = 0; c < s.length; c++) {
          // The checkpoint is F32, so nothing is rounded.
          assertThat(folded[c]).as("%s[%d]", unit.previous(), c).isEqualTo(norm[c] / s[c]);
          assertThat(scaled[c]).as("reader column %d", c).isEqualTo(reader[c] * s[c]);
        }
        checked++;
      }
      assertThat(checked).as("scaled norm units").isPositive();
      float[] logits =
          llama
              .forwardPass()
              .logits(ids, new FakeQuantWeights(awq, plan, new FakeQuantCache(1 << 26)));
      for (float v : logits) {
        assertThat(Float.isFinite(v)).isTrue();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = RandomCheckpoints.Variant.class,
      names = {"QWEN3_5_MOE", "QWEN3_NEXT"})
  void mixerUnitsWorkOnMoeModels(RandomCheckpoints.Variant variant, @TempDir Path dir)
      throws IOException {
    try (LanguageModel model = LanguageModel.open(RandomCheckpoints.write(variant, dir, 11))) {
      ActivationRecorder recorder = new ActivationRecorder(model.weights());
      int[] ids = {1, 9, 4, 17, 33, 2, 5, 60, 12, 8, 21, 3};
      HiddenStates h = model.forwardPass().embed(List.of(ids), recorder);
      model.forwardPass().layers(h, recorder);
      Checkpoint checkpoint = ((CheckpointWeights) model.weights()).checkpoint();
      QuantPlan plan =
          QuantPlan.resolve(
              QuantConfig.parse(
                  "{\"default\": \"bf16\", \"groups\": {\"attn_qkv\": \"2/32+awq\","
                      + " \"gdn_in\": \"2/32+awq\"}}",
                  "moe test"),
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()));
      AwqWeights awq =
          new AwqWeights(
              model.config(), model.weights(), plan, recorder.snapshot(), new AwqScaleCache());

      assertThat(awq.activeUnits()).hasSize(model.config().numHiddenLayers());
      assertThat(awq.activeUnits())
          .as("scaled DeltaNet units")
          .anyMatch(u -> u.kind() == AwqUnit.Kind.DELTANET_INPUT && awq.result(u).scaled());
      for (AwqUnit unit : awq.activeUnits()) {
        AwqResult result = awq.result(unit);
        for (String companion : unit.companions()) {
          float[] original = model.weights().read(companion);
          float[] derived = awq.read(companion);
          for (int i = 0; i < original.length; i++) {
            float expected =
                result.scaled()
                    ? Floats.roundToBf16(original[i] * result.scales()[i % result.scales().length])
                    : original[i];
            assertThat(derived[i]).as("%s[%d]", companion, i).isEqualTo(expected);
          }
        }
      }
      float[] logits =
          model
              .forwardPass()
              .logits(ids, new FakeQuantWeights(awq, plan, new FakeQuantCache(1 << 24)));
      for (float v : logits) {
        assertThat(Float.isFinite(v)).isTrue();
      }
    }
  }

  @Test
  void plainConfigurationPassesThrough() {
    AwqWeights awq = awq("{\"default\": \"3/64\"}", new AwqScaleCache());
    assertThat(awq.activeUnits()).isEmpty();
    String norm = LAYER0 + "input_layernorm.weight";
    assertThat(awq.transformKey(norm)).isEmpty();
    assertThat(awq.read(norm)).containsExactly(TinyModel.model().weights().read(norm));
  }

  @Test
  void missingStatisticsAreReported() {
    ModelConfig config = TinyModel.model().config();
    QuantPlan plan = TinyModel.plan(ALL_AWQ);
    assertThatThrownBy(
            () ->
                new AwqWeights(
                    config, TinyModel.model().weights(), plan, null, new AwqScaleCache()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Configuration "
                + plan.config().id()
                + " ("
                + plan.config().label()
                + ") requests AWQ on layer 0 deltanet_input, layer 0 mlp_down, layer 0 mlp_input,"
                + " layer 1 deltanet_input and 20 more, but no activation statistics were given;"
                + " run `bitsweep reference` first, which records activation statistics");
    ActivationStats partial =
        ActivationStats.fromRows(
            TinyModel.stats().toRows().stream()
                .filter(row -> !row.tensor().contains("layers.3.self_attn.q_proj"))
                .toList());
    assertThatThrownBy(
            () ->
                new AwqWeights(
                    config, TinyModel.model().weights(), plan, partial, new AwqScaleCache()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "No activation statistics for model.language_model.layers.3.self_attn.q_proj.weight"
                + " (the statistics cover 61 tensors); rerun `bitsweep reference` on this model,"
                + " which records activation statistics");
  }
}
