package io.bitsweep.mlx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import io.bitsweep.mlx.MlxWriter.Options;
import io.bitsweep.mlx.MlxWriter.Summary;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.FakeQuantWeights;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MlxReaderTest {
  private static final int[] TOKENS = {1, 7, 42, 199, 3, 255, 128, 64, 9, 17, 230, 5};

  @TempDir Path temp;

  /**
   * Logits of the MLX folder run through the reader, of the source through FakeQuantWeights with
   * norms rounded as the MLX folder stores them, and of the source through FakeQuantWeights alone.
   */
  record Logits(float[] mlx, float[] reference, float[] referenceWithoutNormRounding) {}

  static Logits logits(Path model, QuantConfig config, Path out) {
    MlxWriter.write(model, config, out, Options.defaults());
    float[] mlx;
    try (MlxModel written = MlxReader.open(out)) {
      mlx = new ForwardPass(written.modelConfig()).logits(TOKENS, written.weights());
    }
    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      ModelConfig modelConfig = ModelConfig.load(checkpoint);
      HeadTying tying = HeadTying.detect(checkpoint.configJson(), checkpoint.tensors());
      QuantPlan plan = QuantPlan.resolve(config, checkpoint.tensors(), tying);
      WeightSource fakeQuantized =
          new FakeQuantWeights(
              new CheckpointWeights(checkpoint), plan, new FakeQuantCache(1L << 26));
      ForwardPass pass = new ForwardPass(modelConfig);
      WeightSource roundedNorms =
          modelConfig.architecture().zeroCenteredNorms()
              ? new FakeQuantReference(fakeQuantized)
              : fakeQuantized;
      float[] reference = pass.logits(TOKENS, roundedNorms);
      float[] plain = pass.logits(TOKENS, fakeQuantized);
      return new Logits(mlx, reference, plain);
    }
  }

  static double maxDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void tinyQwenLogitsMatchFakeQuant() {
    QuantConfig mixed =
        QuantConfig.parse(
            "{\"default\": 4, \"groups\": {\"mlp_down\": \"3/32\", \"gdn_out\": \"bf16\","
                + " \"lm_head\": 8, \"attn_qkv@3-3\": 6}}",
            "test");
    Logits logits =
        logits(SharedModels.require(SharedModels.QWEN35_TINY), mixed, temp.resolve("mlx"));
    assertThat(logits.mlx()).isEqualTo(logits.reference());
    // Storing 1 + w in bf16 loses low bits of small norm weights, so the MLX model differs a
    // little from the fake-quantized checkpoint whose norms keep w.
    assertThat(maxDifference(logits.mlx(), logits.referenceWithoutNormRounding()))
        .isGreaterThan(0)
        .isLessThan(0.1);
  }

  @Test
  void qwen35MoeLogitsMatchFakeQuant() throws IOException {
    Path model = TinyCheckpoints.qwen35Moe(temp.resolve("moe"));
    QuantConfig config =
        QuantConfig.parse(
            "{\"default\": 4, \"groups\": {\"expert_up\": 2, \"router\": 8}}", "test");
    Logits logits = logits(model, config, temp.resolve("mlx"));
    assertThat(logits.mlx()).isEqualTo(logits.reference());
  }

  @Test
  void tiedQwen35MoeDropsHead() throws IOException {
    Path model = TinyCheckpoints.qwen35MoeTied(temp.resolve("tied"));
    QuantConfig config = QuantConfig.parse("{\"default\": 4, \"groups\": {\"embed\": 6}}", "test");
    Path out = temp.resolve("mlx");
    Logits logits = logits(model, config, out);

    assertThat(logits.mlx()).isEqualTo(logits.reference());
    try (MlxModel written = MlxReader.open(out)) {
      assertThat(written.tensors().keySet()).noneMatch(name -> name.contains("lm_head"));
      assertThat(written.setting("language_model.model.embed_tokens"))
          .isEqualTo(QuantSetting.affine(6, 64));
    }
  }

  @Test
  void qwen3NextLogitsMatchFakeQuant() throws IOException {
    Path model = TinyCheckpoints.qwen3Next(temp.resolve("next"));
    QuantConfig config =
        QuantConfig.parse(
            "{\"default\": \"5/32\", \"groups\": {\"expert_down\": 3, \"gdn_in\": 8}}", "test");
    Logits logits = logits(model, config, temp.resolve("mlx"));
    assertThat(logits.mlx()).isEqualTo(logits.reference());
  }

  @Test
  void f16CheckpointLogitsMatchFakeQuant() throws IOException {
    Path model = f16Copy(SharedModels.require(SharedModels.QWEN35_TINY), temp.resolve("f16"));
    QuantConfig mixed =
        QuantConfig.parse(
            "{\"default\": 4, \"groups\": {\"mlp_down\": \"3/32\", \"gdn_out\": \"bf16\"}}",
            "test");
    Path out = temp.resolve("mlx");
    Logits logits = logits(model, mixed, out);

    assertThat(logits.mlx()).isEqualTo(logits.reference());
    try (Checkpoint written = Checkpoint.open(out)) {
      String down = "language_model.model.layers.0.mlp.down_proj.";
      assertThat(written.info(down + "weight").dtype()).isEqualTo(DType.U32);
      assertThat(written.info(down + "scales").dtype()).isEqualTo(DType.F16);
      assertThat(written.info(down + "biases").dtype()).isEqualTo(DType.F16);
      assertThat(written.info("language_model.lm_head.scales").dtype()).isEqualTo(DType.F16);
      assertThat(written.info("language_model.model.layers.0.linear_attn.out_proj.weight").dtype())
          .as("a bf16-setting tensor keeps the checkpoint's dtype")
          .isEqualTo(DType.F16);
      assertThat(written.info("language_model.model.norm.weight").dtype()).isEqualTo(DType.F16);
    }
  }

  /**
   * Writes a copy of a model folder with every tensor converted to F16, as one shard, and returns
   * it. The tiny model's bf16 values have 8 significant bits, so the conversion changes only
   * values outside F16's normal range.
   */
  static Path f16Copy(Path source, Path dir) throws IOException {
    Files.createDirectories(dir);
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    try (Checkpoint checkpoint = Checkpoint.open(source)) {
      for (TensorInfo info : checkpoint.tensors().values()) {
        writer.addFloats(info.name(), DType.F16, info.shape(), checkpoint.readFloats(info.name()));
      }
    }
    writer.write(dir.resolve("model.safetensors"));
    String config = Files.readString(source.resolve("config.json"));
    Files.writeString(
        dir.resolve("config.json"),
        config.replace("\"dtype\": \"bfloat16\"", "\"dtype\": \"float16\""));
    for (String file :
        List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
      Files.copy(source.resolve(file), dir.resolve(file));
    }
    return dir;
  }

  @Test
  void llamaLogitsMatchFakeQuant() {
    Logits logits =
        logits(
            SharedModels.require(SharedModels.LLAMA_TINY),
            QuantConfig.uniform(QuantSetting.affine(3, 64)),
            temp.resolve("mlx"));
    assertThat(logits.mlx()).isEqualTo(logits.reference());
    assertThat(logits.mlx()).isEqualTo(logits.referenceWithoutNormRounding());
  }

  @Test
  void mlxLmStyleConfigReads() throws IOException {
    Path out = temp.resolve("mlx");
    QuantConfig mixed =
        QuantConfig.parse(
            "{\"default\": 4, \"groups\": {\"lm_head\": 8, \"gdn_out\": \"bf16\"}}", "test");
    Logits expected = logits(SharedModels.require(SharedModels.QWEN35_TINY), mixed, out);

    // mlx-lm's dynamic quantization writes entries without "mode", and readers must not need the
    // index, which mlx_lm.load ignores.
    Path config = out.resolve("config.json");
    String text = Files.readString(config).replaceAll(",\\s*\"mode\": \"affine\"", "");
    text =
        text.replace(
            "\"language_model.lm_head\": {\n            \"group_size\": 64,\n",
            "\"language_model.lm_head\": {\n");
    Files.writeString(config, text);
    Files.delete(out.resolve("model.safetensors.index.json"));
    assertThat(text)
        .doesNotContain("\"mode\"")
        .contains("\"language_model.lm_head\": {\n            \"bits\": 8");

    try (MlxModel model = MlxReader.open(out)) {
      assertThat(model.setting("language_model.lm_head")).isEqualTo(QuantSetting.affine(8, 64));
      assertThat(model.setting("language_model.model.layers.0.linear_attn.out_proj")).isNull();
      float[] logits = new ForwardPass(model.modelConfig()).logits(TOKENS, model.weights());
      assertThat(logits).isEqualTo(expected.mlx());
    }
  }

  @Test
  void inspectNamesUnquantizedFolder() {
    Path model = SharedModels.require(SharedModels.LLAMA_TINY);

    String[] lines = MlxReader.inspect(model).split("\n");

    assertThat(lines[0]).isEqualTo("Model without a quantization entry in config.json " + model);
  }

  @Test
  void inspectListsTensorsAndTotals() {
    Path out = temp.resolve("mlx");
    QuantConfig mixed =
        QuantConfig.parse("{\"default\": 4, \"groups\": {\"lm_head\": \"8/32\"}}", "test");
    Summary summary =
        MlxWriter.write(
            SharedModels.require(SharedModels.QWEN35_TINY), mixed, out, Options.defaults());

    String text = MlxReader.inspect(out);
    String[] lines = text.split("\n");
    assertThat(lines[0]).isEqualTo("MLX model " + out);
    assertThat(lines[2]).matches("tensor +dtype +shape +bits +group +bytes");
    assertThat(text)
        .containsPattern(
            "\\nlanguage_model\\.lm_head\\.weight +U32 +\\[2048, 32\\] +8 +32 +262144\\n");
    assertThat(text)
        .containsPattern(
            "\\nlanguage_model\\.lm_head\\.scales +BF16 +\\[2048, 4\\] +8 +32 +16384\\n");
    assertThat(text)
        .containsPattern(
            "\\nlanguage_model\\.model\\.norm\\.weight +BF16 +\\[128\\] +- +- +256\\n");
    assertThat(text)
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "total:        %d tensors, %d bytes, %d parameters, %.4f bits per weight",
                summary.tensorCount(),
                summary.tensorBytes(),
                summary.parameterCount(),
                summary.bitsPerWeight()));
    assertThat(text).contains("settings:     4/64 x 63, 8/32 x 1");
    int tensorLines = 0;
    for (String line : lines) {
      if (line.startsWith("language_model.")) {
        tensorLines++;
      }
    }
    assertThat(tensorLines).isEqualTo(summary.tensorCount());
  }

  @Test
  void scalesWithoutQuantizationBlockRejected() throws IOException {
    Path out = temp.resolve("mlx");
    MlxWriter.write(
        SharedModels.require(SharedModels.LLAMA_TINY),
        QuantConfig.uniform(QuantSetting.affine(4, 64)),
        out,
        Options.defaults());
    Path config = out.resolve("config.json");
    JsonNode json = new ObjectMapper().readTree(config.toFile());
    ((ObjectNode) json).remove("quantization");
    ((ObjectNode) json).remove("quantization_config");
    Files.writeString(config, json.toString());

    assertThatThrownBy(() -> MlxReader.open(out))
        .isInstanceOf(MlxException.class)
        .hasMessage(
            "Cannot open "
                + out
                + ": model.embed_tokens.scales exists, but config.json has no"
                + " quantization block; the config does not belong to these tensors");
  }

  @Test
  void wrongBitsInConfigRejected() throws IOException {
    Path out = temp.resolve("mlx");
    MlxWriter.write(
        SharedModels.require(SharedModels.LLAMA_TINY),
        QuantConfig.uniform(QuantSetting.affine(4, 64)),
        out,
        Options.defaults());
    Path config = out.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"bits\": 4", "\"bits\": 3"));

    assertThatThrownBy(() -> MlxReader.open(out))
        .isInstanceOf(MlxException.class)
        .hasMessage(
            "Cannot open "
                + out
                + ": quantized module model.embed_tokens does not match"
                + " config.json: with 3 bits and group size 64, scales [2048, 2] imply a weight of"
                + " shape [2048, 12], found [2048, 16]");
  }

  @Test
  void overrideWithoutScalesRejected() throws IOException {
    Path out = temp.resolve("mlx");
    MlxWriter.write(
        SharedModels.require(SharedModels.LLAMA_TINY),
        QuantConfig.parse("{\"default\": 4, \"groups\": {\"mlp_down\": \"bf16\"}}", "test"),
        out,
        Options.defaults());
    Path config = out.resolve("config.json");
    String text = Files.readString(config);
    assertThat(text).contains("\"model.layers.1.mlp.down_proj\": false");
    Files.writeString(
        config,
        text.replace(
            "\"model.layers.1.mlp.down_proj\": false",
            "\"model.layers.1.mlp.down_proj\": {\"bits\": 8, \"group_size\": 64}"));

    assertThatThrownBy(() -> MlxReader.open(out))
        .isInstanceOf(MlxException.class)
        .hasMessage(
            "Cannot open "
                + out
                + ": config.json quantizes module model.layers.1.mlp.down_proj,"
                + " but model.layers.1.mlp.down_proj.scales is missing; mlx-lm would fail to load"
                + " this folder");
  }

  @Test
  void unexpectedTensorRejected() throws IOException {
    Path out = temp.resolve("mlx");
    MlxWriter.write(
        SharedModels.require(SharedModels.LLAMA_TINY),
        QuantConfig.uniform(QuantSetting.affine(4, 64)),
        out,
        Options.defaults());
    Path config = out.resolve("config.json");
    // Two layers of weights read with a one-layer config: layer 1's tensors are unexplained.
    Files.writeString(
        config,
        Files.readString(config).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));

    try (MlxModel model = MlxReader.open(out)) {
      assertThatThrownBy(model::weights)
          .isInstanceOf(MlxException.class)
          .hasMessageStartingWith("Cannot read " + out + " as a text model: tensor model.layers.1.")
          .hasMessageContaining("is not part of the model config.json describes")
          .hasMessageEndingWith("; and 18 more");
    }
  }
}
