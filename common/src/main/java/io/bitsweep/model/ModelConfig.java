package io.bitsweep.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.safetensors.Checkpoint;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The text-model fields of a Hugging Face {@code config.json} that the forward pass needs, read
 * from {@code text_config} when present and from the top level otherwise. Field names in messages
 * are the config.json spellings.
 *
 * @param architecture the family selected by {@code model_type}
 * @param vocabSize rows of the embedding and of the logits ({@code vocab_size})
 * @param hiddenSize model width H ({@code hidden_size})
 * @param numHiddenLayers decoder layers L ({@code num_hidden_layers}), without MTP layers
 * @param layerTypes the token mixer of each layer, L entries
 * @param intermediateSize dense SwiGLU width ({@code intermediate_size}); 0 when no layer is dense
 * @param rmsNormEps epsilon of every RMSNorm ({@code rms_norm_eps})
 * @param attention the full-attention shape
 * @param linearAttention the Gated DeltaNet shape, or null when no layer is linear attention
 * @param moe the mixture-of-experts block, or null for dense models
 * @param tieWordEmbeddings whether the head reuses the embedding matrix
 * @param tensorPrefix {@code model.language_model.} or {@code model.}
 * @param embedTensor name of the embedding tensor (normally {@code <prefix>embed_tokens.weight};
 *     {@code lm_head.weight} for tied checkpoints that store only the head)
 */
public record ModelConfig(
    Architecture architecture,
    int vocabSize,
    int hiddenSize,
    int numHiddenLayers,
    List<LayerType> layerTypes,
    int intermediateSize,
    double rmsNormEps,
    AttentionConfig attention,
    LinearAttentionConfig linearAttention,
    MoeConfig moe,
    boolean tieWordEmbeddings,
    String tensorPrefix,
    String embedTensor) {

  /** Prefix of the language model in multimodal Qwen3.5 checkpoints. */
  public static final String LANGUAGE_MODEL_PREFIX = "model.language_model.";

  /** Prefix of text-only checkpoints (Qwen3-Next, Llama, text-only Qwen3.5 exports). */
  public static final String TEXT_MODEL_PREFIX = "model.";

  /** Name of the untied output head. */
  public static final String LM_HEAD = "lm_head.weight";

  public ModelConfig {
    requireNonNull("model_type", architecture);
    requirePositive("vocab_size", vocabSize);
    requirePositive("hidden_size", hiddenSize);
    requirePositive("num_hidden_layers", numHiddenLayers);
    requireNonNull("layer_types", layerTypes);
    requireNonNull("attention", attention);
    layerTypes = List.copyOf(layerTypes);
    if (layerTypes.size() != numHiddenLayers) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "layer_types has %d entries, expected num_hidden_layers = %d",
              layerTypes.size(),
              numHiddenLayers));
    }
    if (!(rmsNormEps > 0)) {
      throw new IllegalArgumentException("rms_norm_eps must be positive, found " + rmsNormEps);
    }
    checkMixers(architecture, layerTypes, linearAttention);
    checkMlp(architecture, numHiddenLayers, intermediateSize, moe);
    requireNonNull("tensor prefix", tensorPrefix);
    if (!tensorPrefix.equals(LANGUAGE_MODEL_PREFIX) && !tensorPrefix.equals(TEXT_MODEL_PREFIX)) {
      throw new IllegalArgumentException(
          "tensor prefix must be \""
              + LANGUAGE_MODEL_PREFIX
              + "\" or \""
              + TEXT_MODEL_PREFIX
              + "\", found \""
              + tensorPrefix
              + "\"");
    }
    if (embedTensor == null || embedTensor.isBlank()) {
      throw new IllegalArgumentException("embedding tensor name must not be empty");
    }
  }

  private static void checkMixers(
      Architecture architecture, List<LayerType> layerTypes, LinearAttentionConfig linear) {
    boolean hasLinear = layerTypes.contains(LayerType.LINEAR_ATTENTION);
    if (hasLinear && !architecture.isQwen()) {
      throw new IllegalArgumentException(
          "layer_types contains linear_attention, but model_type llama has no Gated DeltaNet"
              + " layers; expected only full_attention");
    }
    if (hasLinear && linear == null) {
      throw new IllegalArgumentException(
          "layer_types contains linear_attention, but the linear_* fields are missing");
    }
  }

  private static void checkMlp(
      Architecture architecture, int layers, int intermediateSize, MoeConfig moe) {
    boolean sparseArchitecture =
        architecture == Architecture.QWEN3_5_MOE || architecture == Architecture.QWEN3_NEXT;
    if (sparseArchitecture && moe == null) {
      throw new IllegalArgumentException(
          "model_type "
              + architecture.modelTypes().get(0)
              + " needs num_experts,"
              + " num_experts_per_tok, moe_intermediate_size and shared_expert_intermediate_size");
    }
    if (!sparseArchitecture && moe != null) {
      throw new IllegalArgumentException(
          "model_type "
              + architecture.modelTypes().get(0)
              + " is dense, but a MoE block was given");
    }
    for (int i = 0; i < layers; i++) {
      if ((moe == null || !moe.isSparse(i)) && intermediateSize <= 0) {
        throw new IllegalArgumentException(
            "intermediate_size must be positive because layer "
                + i
                + " has a dense MLP, found "
                + intermediateSize);
      }
    }
  }

  static void requirePositive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be a positive integer, found " + value);
    }
  }

  private static void requireNonNull(String field, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " is missing");
    }
  }

  /**
   * Reads {@code config.json} of a checkpoint folder, using the checkpoint's tensor names to pick
   * the prefix and to detect a tied head.
   */
  public static ModelConfig load(Checkpoint checkpoint) {
    String source = checkpoint.directory().resolve("config.json").toString();
    return ConfigReader.read(checkpoint.configJson(), source, checkpoint.tensors().keySet());
  }

  /**
   * Parses a config.json tree without a checkpoint: the prefix follows the layout (nested {@code
   * text_config} means {@code model.language_model.}) and the head is tied only if the flag says
   * so. {@code source} names the file in error messages.
   */
  public static ModelConfig fromJson(JsonNode root, String source) {
    return ConfigReader.read(root, source, Set.of());
  }

  /** The mixer of layer {@code layer}. */
  public LayerType layerType(int layer) {
    return layerTypes.get(layer);
  }

  /** Whether layer {@code layer} uses the mixture-of-experts block. */
  public boolean isSparseLayer(int layer) {
    return moe != null && moe.isSparse(layer);
  }

  /** The tensor-name prefix of layer {@code layer}, such as {@code model.layers.3.}. */
  public String layerPrefix(int layer) {
    return tensorPrefix + "layers." + layer + ".";
  }

  /** The final norm, {@code <prefix>norm.weight}. */
  public String finalNormTensor() {
    return tensorPrefix + "norm.weight";
  }

  /** The output head: the embedding when tied, {@code lm_head.weight} otherwise. */
  public String headTensor() {
    return tieWordEmbeddings ? embedTensor : LM_HEAD;
  }

  /** Every tensor this config implies, with its shape, in layer order. */
  public List<ExpectedTensor> expectedTensors() {
    return ExpectedTensors.of(this);
  }

  /**
   * Checks that the checkpoint holds every expected tensor with the expected shape and a
   * floating-point dtype.
   *
   * @throws io.bitsweep.safetensors.CheckpointException listing the missing or mismatched tensors
   */
  public void validate(Checkpoint checkpoint) {
    ExpectedTensors.validate(this, checkpoint);
  }
}
