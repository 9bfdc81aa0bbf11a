package io.bitsweep.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.model.RandomCheckpoints.Variant;

/**
 * The config.json trees of {@link RandomCheckpoints}' variants: a few layers, widths of tens, and
 * unequal key and value head dims so that a swapped index shows up in the logits.
 */
final class RandomConfigs {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private RandomConfigs() {}

  static ObjectNode of(Variant variant) {
    return switch (variant) {
      case QWEN3_5_DENSE -> qwen35Dense();
      case QWEN3_5_FLAT_TIED -> qwen35FlatTied();
      case QWEN3_5_MOE -> qwen35Moe();
      case QWEN3_NEXT -> qwen3Next();
      case LLAMA -> llama();
    };
  }

  /** Fields every Qwen text config shares. */
  private static ObjectNode qwenText(String modelType) {
    ObjectNode text = JSON.objectNode();
    text.put("model_type", modelType);
    text.put("vocab_size", 320);
    text.put("hidden_size", 64);
    text.put("num_attention_heads", 4);
    text.put("num_key_value_heads", 2);
    text.put("head_dim", 16);
    text.put("attention_bias", false);
    text.put("linear_num_key_heads", 2);
    text.put("linear_num_value_heads", 4);
    text.put("linear_key_head_dim", 16);
    text.put("linear_value_head_dim", 8);
    text.put("linear_conv_kernel_dim", 4);
    text.put("hidden_act", "silu");
    text.put("rms_norm_eps", 1e-6);
    return text;
  }

  private static ObjectNode ropeParameters(double theta, double partial) {
    ObjectNode rope = JSON.objectNode();
    rope.put("rope_type", "default");
    rope.put("rope_theta", theta);
    rope.put("partial_rotary_factor", partial);
    return rope;
  }

  private static ObjectNode multimodal(String modelType, ObjectNode text, boolean tied) {
    ObjectNode root = JSON.objectNode();
    root.putArray("architectures").add("Qwen3_5ForConditionalGeneration");
    root.put("model_type", modelType);
    root.set("text_config", text);
    root.put("tie_word_embeddings", tied);
    return root;
  }

  private static ObjectNode qwen35Dense() {
    ObjectNode text = qwenText("qwen3_5_text");
    text.put("num_hidden_layers", 4);
    ArrayNode types = text.putArray("layer_types");
    types
        .add("linear_attention")
        .add("full_attention")
        .add("linear_attention")
        .add("full_attention");
    text.put("intermediate_size", 96);
    text.set("rope_parameters", ropeParameters(10_000_000.0, 0.25));
    text.put("tie_word_embeddings", false);
    return multimodal("qwen3_5", text, false);
  }

  private static ObjectNode qwen35FlatTied() {
    ObjectNode root = qwenText("qwen3_5_text");
    root.put("num_hidden_layers", 4);
    root.put("full_attention_interval", 2);
    root.put("linear_num_value_heads", 2);
    root.put("intermediate_size", 80);
    root.put("rope_theta", 1_000_000.0);
    root.put("partial_rotary_factor", 0.5);
    root.put("tie_word_embeddings", true);
    return root;
  }

  private static ObjectNode qwen35Moe() {
    ObjectNode text = qwenText("qwen3_5_moe_text");
    text.put("num_hidden_layers", 4);
    text.put("full_attention_interval", 4);
    text.put("num_experts", 6);
    text.put("num_experts_per_tok", 2);
    text.put("moe_intermediate_size", 32);
    text.put("shared_expert_intermediate_size", 48);
    text.set("rope_parameters", ropeParameters(10_000_000.0, 0.25));
    ObjectNode root = multimodal("qwen3_5_moe", text, false);
    root.putArray("architectures").removeAll().add("Qwen3_5MoeForConditionalGeneration");
    return root;
  }

  private static ObjectNode qwen3Next() {
    ObjectNode root = qwenText("qwen3_next");
    root.putArray("architectures").add("Qwen3NextForCausalLM");
    root.put("num_hidden_layers", 4);
    root.put("full_attention_interval", 2);
    root.put("intermediate_size", 72);
    root.put("num_experts", 5);
    root.put("num_experts_per_tok", 2);
    root.put("moe_intermediate_size", 24);
    root.put("shared_expert_intermediate_size", 40);
    root.put("norm_topk_prob", false);
    root.put("decoder_sparse_step", 1);
    root.putArray("mlp_only_layers").add(1);
    root.put("rope_theta", 10_000_000.0);
    root.put("partial_rotary_factor", 0.25);
    root.put("tie_word_embeddings", false);
    return root;
  }

  private static ObjectNode llama() {
    ObjectNode root = JSON.objectNode();
    root.putArray("architectures").add("LlamaForCausalLM");
    root.put("model_type", "llama");
    root.put("vocab_size", 320);
    root.put("hidden_size", 64);
    root.put("intermediate_size", 96);
    root.put("num_hidden_layers", 2);
    root.put("num_attention_heads", 4);
    root.put("num_key_value_heads", 2);
    root.put("rms_norm_eps", 1e-6);
    root.put("rope_theta", 10_000.0);
    root.putNull("rope_scaling");
    root.put("attention_bias", false);
    root.put("tie_word_embeddings", true);
    return root;
  }
}
