package io.bitsweep.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.safetensors.CheckpointException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Parses config.json into a {@link ModelConfig}; every error names the file and the field. */
final class ConfigReader {
  private static final double QWEN_DEFAULT_ROPE_THETA = 10_000_000.0;
  private static final double LLAMA_DEFAULT_ROPE_THETA = 10_000.0;
  private static final double QWEN_DEFAULT_PARTIAL_ROTARY = 0.25;
  private static final int DEFAULT_FULL_ATTENTION_INTERVAL = 4;

  private final JsonNode text;
  private final JsonNode root;
  private final String fieldPrefix;
  private final String source;

  private ConfigReader(JsonNode root, String source) {
    this.root = root;
    this.source = source;
    JsonNode nested = root.get("text_config");
    boolean isNested = nested != null && nested.isObject();
    this.text = isNested ? nested : root;
    this.fieldPrefix = isNested ? "text_config." : "";
  }

  static ModelConfig read(JsonNode root, String source, Set<String> tensorNames) {
    if (root == null || !root.isObject()) {
      throw new CheckpointException("Invalid " + source + ": expected a JSON object");
    }
    ConfigReader reader = new ConfigReader(root, source);
    try {
      return reader.parse(tensorNames);
    } catch (IllegalArgumentException e) {
      throw new CheckpointException("Invalid " + source + ": " + e.getMessage(), e);
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedOperationException("Cannot load " + source + ": " + e.getMessage(), e);
    }
  }

  private ModelConfig parse(Set<String> tensorNames) {
    Architecture architecture = Architecture.fromModelType(modelType());
    rejectUnsupportedOptions();
    int layers = requiredInt("num_hidden_layers");
    int hidden = requiredInt("hidden_size");
    String prefix = tensorPrefix(tensorNames);
    boolean flagTied = tieFlag();
    boolean tied =
        flagTied || (!tensorNames.isEmpty() && !tensorNames.contains(ModelConfig.LM_HEAD));
    String embed = prefix + "embed_tokens.weight";
    if (tied && !tensorNames.contains(embed) && tensorNames.contains(ModelConfig.LM_HEAD)) {
      embed = ModelConfig.LM_HEAD;
    }
    return new ModelConfig(
        architecture,
        requiredInt("vocab_size"),
        hidden,
        layers,
        layerTypes(architecture, layers),
        optionalInt("intermediate_size", 0),
        optionalDouble(text, "rms_norm_eps", 1e-6),
        attention(architecture, hidden),
        architecture.isQwen() ? linearAttention() : null,
        moe(architecture),
        tied,
        prefix,
        embed);
  }

  /** Rejects options the forward pass does not implement, naming the field and its value. */
  private void rejectUnsupportedOptions() {
    JsonNode activation = text.get("hidden_act");
    if (activation != null && !activation.isNull() && !activation.asText().equals("silu")) {
      throw new UnsupportedOperationException(
          "hidden_act \"" + activation.asText() + "\" is not supported: only silu is");
    }
    for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
      JsonNode flag = text.get(bias);
      if (flag != null && flag.asBoolean(false)) {
        throw new UnsupportedOperationException(
            bias + " = true is not supported: the forward pass has no bias vectors");
      }
    }
  }

  private String modelType() {
    JsonNode type = text.get("model_type");
    if (type == null) {
      type = root.get("model_type");
    }
    if (type == null || !type.isTextual()) {
      throw new IllegalArgumentException(
          "field "
              + fieldPrefix
              + "model_type is missing; expected qwen3_5, qwen3_5_moe,"
              + " qwen3_next or llama");
    }
    return type.asText();
  }

  private String tensorPrefix(Set<String> tensorNames) {
    for (String name : tensorNames) {
      if (name.startsWith(ModelConfig.LANGUAGE_MODEL_PREFIX)) {
        return ModelConfig.LANGUAGE_MODEL_PREFIX;
      }
    }
    if (!tensorNames.isEmpty() || fieldPrefix.isEmpty()) {
      return ModelConfig.TEXT_MODEL_PREFIX;
    }
    return ModelConfig.LANGUAGE_MODEL_PREFIX;
  }

  private boolean tieFlag() {
    JsonNode flag = text.get("tie_word_embeddings");
    if (flag == null || flag.isNull()) {
      flag = root.get("tie_word_embeddings");
    }
    return flag != null && flag.asBoolean(false);
  }

  private List<LayerType> layerTypes(Architecture architecture, int layers) {
    JsonNode listed = text.get("layer_types");
    List<LayerType> types = new ArrayList<>();
    if (listed != null && !listed.isNull()) {
      if (!listed.isArray()) {
        throw new IllegalArgumentException(
            "field " + fieldPrefix + "layer_types must be a list of strings");
      }
      for (int i = 0; i < listed.size(); i++) {
        LayerType type = LayerType.fromConfigName(listed.get(i).asText());
        if (type == null) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "field %slayer_types[%d] is \"%s\", expected linear_attention or full_attention",
                  fieldPrefix,
                  i,
                  listed.get(i).asText()));
        }
        types.add(type);
      }
      return types;
    }
    if (!architecture.isQwen()) {
      return java.util.Collections.nCopies(layers, LayerType.FULL_ATTENTION);
    }
    int interval = optionalInt("full_attention_interval", DEFAULT_FULL_ATTENTION_INTERVAL);
    ModelConfig.requirePositive("full_attention_interval", interval);
    for (int i = 0; i < layers; i++) {
      types.add((i + 1) % interval == 0 ? LayerType.FULL_ATTENTION : LayerType.LINEAR_ATTENTION);
    }
    return types;
  }

  private AttentionConfig attention(Architecture architecture, int hidden) {
    int heads = requiredInt("num_attention_heads");
    int kvHeads = optionalInt("num_key_value_heads", heads);
    int headDim = architecture.isQwen() ? requiredInt("head_dim") : optionalInt("head_dim", 0);
    if (headDim == 0) {
      headDim = hidden / heads;
    }
    JsonNode rope = ropeParameters();
    double defaultTheta =
        architecture.isQwen() ? QWEN_DEFAULT_ROPE_THETA : LLAMA_DEFAULT_ROPE_THETA;
    double theta =
        optionalDouble(rope, "rope_theta", optionalDouble(text, "rope_theta", defaultTheta));
    double defaultPartial = architecture.isQwen() ? QWEN_DEFAULT_PARTIAL_ROTARY : 1.0;
    double partial =
        optionalDouble(
            rope,
            "partial_rotary_factor",
            optionalDouble(text, "partial_rotary_factor", defaultPartial));
    return new AttentionConfig(heads, kvHeads, headDim, theta, partial);
  }

  /**
   * Returns {@code rope_parameters}, or the legacy {@code rope_scaling}, after checking that its
   * rope type is plain rotary. Text-only mRoPE reduces to plain rotary, so "mrope" is accepted.
   */
  private JsonNode ropeParameters() {
    JsonNode rope = text.get("rope_parameters");
    String field = "rope_parameters";
    if (rope == null || rope.isNull()) {
      rope = text.get("rope_scaling");
      field = "rope_scaling";
    }
    if (rope == null || rope.isNull()) {
      return null;
    }
    JsonNode type = rope.has("rope_type") ? rope.get("rope_type") : rope.get("type");
    String name = type == null ? "default" : type.asText();
    if (!name.equals("default") && !name.equals("mrope")) {
      throw new UnsupportedOperationException(
          "rope type \""
              + name
              + "\" in "
              + fieldPrefix
              + field
              + " of "
              + source
              + " is not supported: only default rotary embeddings (and text-only mrope) are");
    }
    return rope;
  }

  private LinearAttentionConfig linearAttention() {
    return new LinearAttentionConfig(
        requiredInt("linear_num_key_heads"),
        requiredInt("linear_num_value_heads"),
        requiredInt("linear_key_head_dim"),
        requiredInt("linear_value_head_dim"),
        requiredInt("linear_conv_kernel_dim"));
  }

  private MoeConfig moe(Architecture architecture) {
    if (architecture != Architecture.QWEN3_5_MOE && architecture != Architecture.QWEN3_NEXT) {
      return null;
    }
    boolean next = architecture == Architecture.QWEN3_NEXT;
    List<Integer> mlpOnly = new ArrayList<>();
    JsonNode listed = text.get("mlp_only_layers");
    if (next && listed != null && listed.isArray()) {
      listed.forEach(layer -> mlpOnly.add(layer.asInt()));
    }
    // qwen3_5_moe ignores norm_topk_prob and always renormalises.
    // NOTE: a qwen3_next config without norm_topk_prob is taken as true, assumed to be the
    // transformers default and not checked against its source.
    boolean normTopk = !next || optionalBoolean("norm_topk_prob", true);
    return new MoeConfig(
        requiredInt("num_experts"),
        requiredInt("num_experts_per_tok"),
        requiredInt("moe_intermediate_size"),
        requiredInt("shared_expert_intermediate_size"),
        normTopk,
        next ? optionalInt("decoder_sparse_step", 1) : 1,
        mlpOnly);
  }

  private int requiredInt(String field) {
    JsonNode value = text.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("field " + fieldPrefix + field + " is missing");
    }
    return toInt(field, value);
  }

  private int optionalInt(String field, int fallback) {
    JsonNode value = text.get(field);
    return value == null || value.isNull() ? fallback : toInt(field, value);
  }

  private int toInt(String field, JsonNode value) {
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new IllegalArgumentException(
          "field " + fieldPrefix + field + " must be an integer, found " + value);
    }
    return value.intValue();
  }

  private boolean optionalBoolean(String field, boolean fallback) {
    JsonNode value = text.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException(
          "field " + fieldPrefix + field + " must be true or false, found " + value);
    }
    return value.booleanValue();
  }

  private double optionalDouble(JsonNode node, String field, double fallback) {
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isNumber()) {
      throw new IllegalArgumentException("field " + field + " must be a number, found " + value);
    }
    return value.doubleValue();
  }
}
