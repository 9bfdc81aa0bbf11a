package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.RandomCheckpoints;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.LayerGroup;
import io.bitsweep.quant.TensorRole;
import io.bitsweep.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ActivationRecorderTest {
  /** Relative tolerance between the recorded means and an independent computation. */
  private static final double MEAN_TOLERANCE = 1e-5;

  @Test
  void recordsEveryLayerProjection() {
    WeightSource weights = TinyModel.model().weights();
    ActivationStats stats = TinyModel.stats();
    TreeSet<String> expected = new TreeSet<>();
    for (String name : checkpointTensors()) {
      TensorRole role = TensorRole.of(name);
      if (role.isGrouped() && role.layer() >= 0 && role.group() != LayerGroup.EMBED) {
        expected.add(name);
      }
    }
    assertThat(expected).hasSize(6 * 8 + 2 * 7);
    assertThat(stats.tensorNames()).containsExactlyElementsOf(expected);
    for (String name : expected) {
      ActivationStats.TensorStats tensor = stats.get(name);
      TensorInfo info = weights.info(name);
      assertThat(tensor.columns()).as("channels of %s", name).isEqualTo(info.lastDim());
      assertThat(tensor.tokenCount()).as("tokens of %s", name).isEqualTo(TinyModel.tokenCount());
      assertThat(tensor.sampleRowCount()).as("rows of %s", name).isEqualTo(TinyModel.tokenCount());
    }
  }

  private static List<String> checkpointTensors() {
    List<String> names = new ArrayList<>();
    ModelConfig config = TinyModel.model().config();
    for (var tensor : config.expectedTensors()) {
      names.add(tensor.name());
    }
    return names;
  }

  @Test
  void firstLayerInputMatchesIndependentNorm() {
    ModelConfig config = TinyModel.model().config();
    WeightSource weights = TinyModel.model().weights();
    int hidden = config.hiddenSize();
    float[] normWeight = weights.read(config.layerPrefix(0) + "input_layernorm.weight");
    List<float[]> rows = new ArrayList<>();
    double[] sumAbs = new double[hidden];
    double[] sumSquare = new double[hidden];
    for (int[] sequence : TinyModel.sequences()) {
      for (int id : sequence) {
        float[] x = new float[hidden];
        weights.readRows(config.embedTensor(), id, 1, x, 0);
        double meanSquare = 0;
        for (float v : x) {
          meanSquare += (double) v * v / hidden;
        }
        double inverse = 1 / Math.sqrt(meanSquare + config.rmsNormEps());
        float[] normed = new float[hidden];
        for (int c = 0; c < hidden; c++) {
          normed[c] = (float) (x[c] * inverse * (1.0 + normWeight[c]));
          sumAbs[c] += Math.abs(normed[c]);
          sumSquare[c] += (double) normed[c] * normed[c];
        }
        rows.add(normed);
      }
    }

    String qkv = config.layerPrefix(0) + "linear_attn.in_proj_qkv.weight";
    ActivationStats.TensorStats recorded = TinyModel.stats().get(qkv);
    int tokens = rows.size();
    for (int c = 0; c < hidden; c++) {
      double meanAbs = sumAbs[c] / tokens;
      double meanSquare = sumSquare[c] / tokens;
      assertThat((double) recorded.meanAbs()[c])
          .as("mean |x| of channel %d", c)
          .isCloseTo(meanAbs, within(MEAN_TOLERANCE * meanAbs + 1e-7));
      assertThat((double) recorded.meanSquare()[c])
          .as("mean x² of channel %d", c)
          .isCloseTo(meanSquare, within(MEAN_TOLERANCE * meanSquare + 1e-7));
    }
    float[] firstSample = Arrays.copyOf(recorded.sampleRows(), hidden);
    float maxDifference = 0;
    for (int c = 0; c < hidden; c++) {
      maxDifference = Math.max(maxDifference, Math.abs(firstSample[c] - rows.get(0)[c]));
    }
    assertThat(maxDifference).as("first sampled row against the first token").isLessThan(1e-5f);
  }

  @Test
  void sharedInputsAreStoredOnce() {
    ActivationRecorder recorder = new ActivationRecorder(TinyModel.model().weights());
    ActivationStats stats = TinyModel.record(recorder);
    // Per layer: the mixer's inputs, its output projection, gate/up, down.
    assertThat(recorder.distinctInputCount()).isEqualTo(8 * 4);
    String a = TinyModel.model().config().layerPrefix(3) + "self_attn.";
    assertThat(stats.get(a + "k_proj.weight").sampleRows())
        .isSameAs(stats.get(a + "q_proj.weight").sampleRows());
    assertThat(stats.get(a + "o_proj.weight").sampleRows())
        .isNotSameAs(stats.get(a + "q_proj.weight").sampleRows());
  }

  @Test
  void boundedSampleIsDeterministic() {
    ActivationStats first =
        TinyModel.record(new ActivationRecorder(TinyModel.model().weights(), 16));
    ActivationStats second =
        TinyModel.record(new ActivationRecorder(TinyModel.model().weights(), 16));
    assertThat(second).isEqualTo(first);
    assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
    String down = TinyModel.model().config().layerPrefix(5) + "mlp.down_proj.weight";
    assertThat(first.get(down).sampleRowCount()).isEqualTo(16);
    assertThat(first.get(down).tokenCount()).isEqualTo(TinyModel.tokenCount());
    assertThat(first.get(down).meanAbs()).containsExactly(TinyModel.stats().get(down).meanAbs());
  }

  @ParameterizedTest
  @EnumSource(
      value = RandomCheckpoints.Variant.class,
      names = {"QWEN3_5_MOE", "QWEN3_NEXT"})
  void expertInputsAreRecordedPerExpert(RandomCheckpoints.Variant variant, @TempDir Path dir)
      throws IOException {
    try (LanguageModel model = LanguageModel.open(RandomCheckpoints.write(variant, dir, 5))) {
      ModelConfig config = model.config();
      ActivationRecorder recorder = new ActivationRecorder(model.weights());
      int[] ids = {1, 7, 19, 3, 42, 5, 11, 8, 2, 30};
      HiddenStates h = model.forwardPass().embed(List.of(ids), recorder);
      model.forwardPass().layers(h, recorder);
      ActivationStats stats = recorder.snapshot();

      String m = config.layerPrefix(0) + "mlp.";
      assertThat(stats.get(m + "gate.weight").tokenCount()).isEqualTo(ids.length);
      assertThat(stats.get(m + "shared_expert.down_proj.weight").tokenCount())
          .isEqualTo(ids.length);
      long routed = 0;
      for (int e = 0; e < config.moe().numExperts(); e++) {
        String gateUp =
            variant == RandomCheckpoints.Variant.QWEN3_NEXT
                ? m + "experts." + e + ".up_proj.weight"
                : m + "experts.gate_up_proj[" + e + "]";
        if (stats.contains(gateUp)) {
          routed += stats.get(gateUp).tokenCount();
        }
      }
      assertThat(routed)
          .as("rows routed to the experts of layer 0")
          .isEqualTo((long) ids.length * config.moe().numExpertsPerTok());
    }
  }

  @Test
  void sampleRowsAreInputRows() {
    ActivationRecorder recorder = new ActivationRecorder(new EmptyWeights(), 3);
    float[][] inputs = new float[10][];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = new float[] {i, -i};
      recorder.observeInput("w", inputs[i], 1, 2);
    }
    ActivationStats.TensorStats stats = recorder.snapshot().get("w");
    assertThat(stats.sampleRowCount()).isEqualTo(3);
    for (int r = 0; r < 3; r++) {
      float first = stats.sampleRows()[2 * r];
      assertThat(stats.sampleRows()[2 * r + 1]).as("row %d", r).isEqualTo(-first);
      assertThat(first).as("row %d", r).isBetween(0f, 9f);
    }
    assertThat(stats.meanAbs()).containsExactly(4.5f, 4.5f);
    assertThat(stats.meanSquare()).containsExactly(28.5f, 28.5f);
  }

  @Test
  void brokenSharingIsRejected() {
    ActivationRecorder recorder = new ActivationRecorder(new EmptyWeights());
    float[] x = {1, 2, 3, 4};
    recorder.observeInput("q", x, 2, 2);
    recorder.observeInput("k", x, 2, 2);
    recorder.observeInput("q", new float[] {5, 6, 7, 8}, 2, 2);
    assertThatThrownBy(() -> recorder.snapshot())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot take activation statistics: [k] did not receive the latest input shared with"
                + " [q, k]; finish the forward pass before taking the statistics");
    assertThatThrownBy(() -> recorder.observeInput("k", new float[] {0, 0, 0, 0}, 2, 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot record the input of k: it shares its statistics with [q, k], but [k] did not"
                + " receive the previous input; record these tensors with separate recorders");
  }

  @Test
  void invalidShapeIsRejected() {
    ActivationRecorder recorder = new ActivationRecorder(new EmptyWeights());
    assertThatThrownBy(() -> recorder.observeInput("w", new float[5], 3, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot record the input of w: 3 rows of 2 channels do not fit in 5 values");
    recorder.observeInput("w", new float[4], 2, 2);
    assertThatThrownBy(() -> recorder.observeInput("w", new float[3], 1, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot record the input of w: expected 2 channels as before, found 3");
  }

  /** A source with no tensors, for recording hand-made inputs. */
  private static final class EmptyWeights implements WeightSource {
    @Override
    public TensorInfo info(String name) {
      throw new IllegalArgumentException("no tensor " + name);
    }

    @Override
    public boolean contains(String name) {
      return false;
    }

    @Override
    public float[] read(String name) {
      throw new IllegalArgumentException("no tensor " + name);
    }

    @Override
    public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
      throw new IllegalArgumentException("no tensor " + name);
    }
  }
}
