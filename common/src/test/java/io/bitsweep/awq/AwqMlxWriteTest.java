package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.eval.CandidateFactory;
import io.bitsweep.mlx.MlxException;
import io.bitsweep.mlx.MlxModel;
import io.bitsweep.mlx.MlxReader;
import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.mlx.MlxWriter.Options;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AWQ configurations through the MLX writer: the folder written with {@link
 * AwqWeights#writerTransform} runs with the logits the sweep measured for the configuration, and
 * its norms carry the folded scales.
 */
class AwqMlxWriteTest {
  /** AWQ on every group that has AWQ units, in the object form users write. */
  private static final String AWQ =
      "{\"default\": {\"bits\": 3, \"group_size\": 64}, \"groups\": {"
          + "\"attn_qkv\": {\"bits\": 3, \"group_size\": 64, \"awq\": true},"
          + " \"gdn_in\": {\"bits\": 3, \"group_size\": 64, \"awq\": true},"
          + " \"mlp_up\": {\"bits\": 3, \"group_size\": 64, \"awq\": true},"
          + " \"mlp_down\": {\"bits\": 3, \"group_size\": 64, \"awq\": true}}}";

  private static final String PLAIN = "{\"default\": {\"bits\": 3, \"group_size\": 64}}";

  @TempDir Path temp;

  private static Path modelDir() {
    return SharedModels.require(SharedModels.QWEN35_TINY);
  }

  @Test
  void writtenFolderMatchesCandidate() throws IOException {
    QuantConfig config = QuantConfig.parse(AWQ, "awq test");
    LanguageModel model = TinyModel.model();
    QuantPlan plan = TinyModel.plan(AWQ);
    Path awqOut = temp.resolve("awq");
    Path plainOut = temp.resolve("plain");
    MlxWriter.write(
        modelDir(),
        config,
        awqOut,
        Options.defaults()
            .withWeightTransform(
                AwqWeights.writerTransform(model.config(), plan, TinyModel.stats())));
    QuantConfig plainConfig = QuantConfig.parse(PLAIN, "plain test");
    MlxWriter.write(modelDir(), plainConfig, plainOut, Options.defaults());

    Checkpoint checkpoint = ((CheckpointWeights) model.weights()).checkpoint();
    CandidateFactory factory =
        new CandidateFactory(
            model.config(),
            model.weights(),
            checkpoint.tensors(),
            QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()),
            new FakeQuantCache(64L << 20),
            TinyModel.stats());
    WeightSource measured = factory.candidate(config).weights();
    ForwardPass pass = model.forwardPass();
    try (MlxModel awqWritten = MlxReader.open(awqOut);
        MlxModel plainWritten = MlxReader.open(plainOut)) {
      for (int[] sequence : TinyModel.sequences()) {
        float[] served = pass.logits(sequence, awqWritten.weights());
        assertThat(served)
            .as("written AWQ folder vs sweep candidate, %d tokens", sequence.length)
            .containsExactly(pass.logits(sequence, measured));
        assertThat(served)
            .as("written AWQ folder vs plain 3-bit folder")
            .isNotEqualTo(pass.logits(sequence, plainWritten.weights()));
      }
    }

    AwqWeights awq =
        new AwqWeights(
            model.config(), model.weights(), plan, TinyModel.stats(), new AwqScaleCache());
    int foldedNorms = 0;
    try (Checkpoint awqFiles = Checkpoint.open(awqOut);
        Checkpoint plainFiles = Checkpoint.open(plainOut)) {
      for (AwqUnit unit : awq.activeUnits()) {
        if (unit.previousKind() != AwqUnit.Previous.ZERO_CENTERED_NORM) {
          continue;
        }
        String norm = mlxName(unit.previous());
        boolean scaled = awq.result(unit).scaled();
        float[] folded = awqFiles.readFloats(norm);
        float[] plain = plainFiles.readFloats(norm);
        if (scaled) {
          assertThat(folded).as("%s after %s", norm, unit.label()).isNotEqualTo(plain);
          foldedNorms++;
        } else {
          assertThat(folded).as("%s, %s kept unscaled", norm, unit.label()).isEqualTo(plain);
        }
      }
    }
    assertThat(foldedNorms).as("norms with folded scales").isPositive();
  }

  @Test
  void awqWithoutTransformRejected() throws IOException {
    QuantConfig config = QuantConfig.parse(AWQ, "awq test");
    Path out = temp.resolve("mlx");

    assertThatThrownBy(() -> MlxWriter.write(modelDir(), config, out, Options.defaults()))
        .isInstanceOf(MlxException.class)
        .hasMessage(
            "Cannot write configuration "
                + config.id()
                + " ("
                + config.label()
                + "): it requests AWQ on some groups, but no AWQ weight transform was given; pass"
                + " the AWQ scales, or remove awq from the configuration");
    assertThat(out).doesNotExist();
    try (Stream<Path> entries = Files.list(temp)) {
      assertThat(entries.toList()).as("entries of %s", temp).isEmpty();
    }
  }

  /** Maps a Hugging Face name of the tiny Qwen3.5 model's layers to its MLX tensor name. */
  private static String mlxName(String hfName) {
    String prefix = "model.language_model.";
    assertThat(hfName).startsWith(prefix);
    return "language_model.model." + hfName.substring(prefix.length());
  }
}
