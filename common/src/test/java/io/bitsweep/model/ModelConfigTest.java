package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import io.bitsweep.model.RandomCheckpoints.Variant;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.CheckpointException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void readsNestedTinyQwenConfig() {
    try (Checkpoint checkpoint = Checkpoint.open(SharedModels.require(SharedModels.QWEN35_TINY))) {
      ModelConfig config = ModelConfig.load(checkpoint);
      assertThat(config.architecture()).isEqualTo(Architecture.QWEN3_5);
      assertThat(config.numHiddenLayers()).isEqualTo(8);
      assertThat(config.layerType(3)).isEqualTo(LayerType.FULL_ATTENTION);
      assertThat(config.layerType(4)).isEqualTo(LayerType.LINEAR_ATTENTION);
      assertThat(config.attention().rotaryDim()).isEqualTo(8);
      assertThat(config.attention().ropeTheta()).isEqualTo(1e7);
      assertThat(config.linearAttention().valueHeadsPerKeyHead()).isEqualTo(2);
      assertThat(config.tieWordEmbeddings()).isFalse();
      assertThat(config.tensorPrefix()).isEqualTo("model.language_model.");
      assertThat(config.headTensor()).isEqualTo("lm_head.weight");
      assertThat(config.expectedTensors()).hasSize(1 + 6 * 14 + 2 * 11 + 2);
      assertThat(config.expectedTensors())
          .contains(
              new ExpectedTensor(
                  "model.language_model.layers.0.linear_attn.conv1d.weight",
                  new long[] {256, 1, 4}),
              new ExpectedTensor(
                  "model.language_model.layers.3.self_attn.q_proj.weight", new long[] {256, 128}));
      config.validate(checkpoint);
    }
  }

  @Test
  void expandsFullAttentionInterval() {
    ModelConfig config = parse(RandomCheckpoints.config(Variant.QWEN3_5_FLAT_TIED));
    assertThat(config.layerTypes())
        .containsExactly(
            LayerType.LINEAR_ATTENTION,
            LayerType.FULL_ATTENTION,
            LayerType.LINEAR_ATTENTION,
            LayerType.FULL_ATTENTION);
    assertThat(config.tensorPrefix()).isEqualTo("model.");
    assertThat(config.attention().ropeTheta()).isEqualTo(1e6);
    assertThat(config.attention().partialRotaryFactor()).isEqualTo(0.5);
    assertThat(config.headTensor()).isEqualTo("model.embed_tokens.weight");
  }

  @Test
  void readsQwenNextSparsity() {
    ModelConfig config = parse(RandomCheckpoints.config(Variant.QWEN3_NEXT));
    assertThat(config.isSparseLayer(0)).isTrue();
    assertThat(config.isSparseLayer(1)).as("layer 1 is in mlp_only_layers").isFalse();
    assertThat(config.moe().normTopkProb()).isFalse();
    assertThat(config.expectedTensors().stream().map(ExpectedTensor::name))
        .contains(
            "model.layers.0.mlp.experts.4.down_proj.weight", "model.layers.1.mlp.up_proj.weight")
        .doesNotContain("model.layers.1.mlp.gate.weight");
  }

  @Test
  void moeAlwaysRenormalises() {
    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_5_MOE);
    ((ObjectNode) root.get("text_config")).put("norm_topk_prob", false);
    assertThat(parse(root).moe().normTopkProb()).isTrue();
  }

  @Test
  void headTiedWhenLmHeadAbsent() throws IOException {
    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_5_FLAT_TIED);
    RandomCheckpoints.write(root, dir, 1, RandomCheckpoints.Layout.SINGLE_FILE);
    root.put("tie_word_embeddings", false);
    MAPPER.writeValue(dir.resolve("config.json").toFile(), root);
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      assertThat(ModelConfig.load(checkpoint).tieWordEmbeddings()).isTrue();
    }
  }

  @Test
  void rejectsUnknownModelType() {
    ObjectNode root = RandomCheckpoints.config(Variant.LLAMA);
    root.put("model_type", "gpt2");
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessage(
            "Cannot load /m/config.json: model_type \"gpt2\" is not supported: expected one of"
                + " qwen3_5, qwen3_5_text, qwen3_5_moe, qwen3_5_moe_text, qwen3_next or llama");
  }

  @Test
  void rejectsValueHeadsNotMultipleOfKeyHeads() {
    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_5_DENSE);
    ((ObjectNode) root.get("text_config")).put("linear_num_value_heads", 3);
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .isInstanceOf(CheckpointException.class)
        .hasMessage(
            "Invalid /m/config.json: linear_num_value_heads must be a multiple of"
                + " linear_num_key_heads = 2, found 3");
  }

  @Test
  void rejectsLayerTypesLengthMismatch() {
    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_5_DENSE);
    ((ObjectNode) root.get("text_config")).put("num_hidden_layers", 5);
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .isInstanceOf(CheckpointException.class)
        .hasMessage(
            "Invalid /m/config.json: layer_types has 4 entries, expected num_hidden_layers = 5");
  }

  @Test
  void rejectsUnknownLayerType() {
    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_5_DENSE);
    ((ObjectNode) root.get("text_config")).withArray("layer_types").set(2, "sliding_attention");
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .hasMessage(
            "Invalid /m/config.json: field text_config.layer_types[2] is \"sliding_attention\","
                + " expected linear_attention or full_attention");
  }

  @Test
  void rejectsMissingField() {
    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_5_DENSE);
    ((ObjectNode) root.get("text_config")).remove("hidden_size");
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .hasMessage("Invalid /m/config.json: field text_config.hidden_size is missing");
  }

  @Test
  void rejectsUnsupportedRopeType() {
    ObjectNode root = RandomCheckpoints.config(Variant.LLAMA);
    root.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining(
            "rope type \"yarn\" in rope_scaling of /m/config.json is not supported");
  }

  @Test
  void rejectsBiasAndActivation() {
    ObjectNode root = RandomCheckpoints.config(Variant.LLAMA);
    root.put("mlp_bias", true);
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessage(
            "Cannot load /m/config.json: mlp_bias = true is not supported: the forward pass has"
                + " no bias vectors");
    root.put("mlp_bias", false);
    root.put("hidden_act", "gelu");
    assertThatThrownBy(() -> ModelConfig.fromJson(root, "/m/config.json"))
        .hasMessage(
            "Cannot load /m/config.json: hidden_act \"gelu\" is not supported: only silu is");
  }

  @Test
  void rejectsMissingTensor() throws IOException {
    ObjectNode root = RandomCheckpoints.config(Variant.LLAMA);
    RandomCheckpoints.write(root, dir, 1, RandomCheckpoints.Layout.SINGLE_FILE);
    root.put("num_hidden_layers", 3);
    MAPPER.writeValue(dir.resolve("config.json").toFile(), root);
    assertThatThrownBy(() -> LanguageModel.open(dir))
        .isInstanceOf(CheckpointException.class)
        .hasMessageStartingWith(
            "Cannot load checkpoint "
                + dir.toAbsolutePath()
                + " as model_type llama: tensor"
                + " model.layers.2.input_layernorm.weight is missing (expected shape [64]);")
        .hasMessageContaining(
            "; and 4 more. Check that config.json belongs to these safetensors files.");
  }

  @Test
  void rejectsWrongShape() throws IOException {
    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_5_DENSE);
    RandomCheckpoints.write(root, dir, 1, RandomCheckpoints.Layout.TWO_SHARDS);
    ((ObjectNode) root.get("text_config")).put("intermediate_size", 100);
    MAPPER.writeValue(dir.resolve("config.json").toFile(), root);
    assertThatThrownBy(() -> LanguageModel.open(dir))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(
            "tensor model.language_model.layers.0.mlp.gate_proj.weight in"
                + " model-00001-of-00002.safetensors has shape [96, 64], expected [100, 64]");
  }

  private static ModelConfig parse(ObjectNode root) {
    return ModelConfig.fromJson(root, "config.json");
  }

  @Test
  void rejectsInvalidRecordValues() {
    AttentionConfig attention = new AttentionConfig(4, 2, 16, 1e4, 1.0);
    assertThatThrownBy(
            () ->
                new ModelConfig(
                    Architecture.LLAMA,
                    10,
                    8,
                    2,
                    List.of(LayerType.FULL_ATTENTION),
                    16,
                    1e-6,
                    attention,
                    null,
                    null,
                    true,
                    "model.",
                    "model.embed_tokens.weight"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer_types has 1 entries, expected num_hidden_layers = 2");
    assertThatThrownBy(() -> new AttentionConfig(6, 4, 16, 1e4, 1.0))
        .hasMessage("num_attention_heads must be a multiple of num_key_value_heads = 4, found 6");
  }
}
