package io.bitsweep.mlx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.model.ExpectedTensor;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Small random bf16 checkpoints of the MoE architectures, in the Hugging Face layouts: Qwen3.5 MoE
 * with nested {@code text_config} and fused expert tensors, and Qwen3-Next with per-expert tensors
 * and a dense layer. Each also contains an MTP tensor (and the Qwen3.5 one a vision tensor) that
 * the MLX model must drop, and tokenizer files to copy.
 */
final class TinyCheckpoints {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TinyCheckpoints() {}

  static final String QWEN35_MOE_CONFIG =
      """
{"architectures": ["Qwen3_5MoeForConditionalGeneration"], "model_type": "qwen3_5_moe",
 "_name_or_path": "tiny/qwen3_5_moe",
 "text_config": {"model_type": "qwen3_5_moe_text", "vocab_size": 256, "hidden_size": 128,
   "num_hidden_layers": 4,
   "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"],
   "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
   "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 32,
   "linear_value_head_dim": 32, "linear_conv_kernel_dim": 4,
   "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 64,
   "shared_expert_intermediate_size": 128, "rms_norm_eps": 1e-6,
   "rope_parameters": {"rope_type": "default", "rope_theta": 10000000.0,
                       "partial_rotary_factor": 0.25},
   "tie_word_embeddings": false, "dtype": "bfloat16"},
 "vision_config": {"depth": 1, "hidden_size": 8},
 "tie_word_embeddings": false}
""";

  static final String QWEN3_NEXT_CONFIG =
      """
      {"architectures": ["Qwen3NextForCausalLM"], "model_type": "qwen3_next",
       "vocab_size": 256, "hidden_size": 128, "num_hidden_layers": 4, "full_attention_interval": 2,
       "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
       "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 32,
       "linear_value_head_dim": 32, "linear_conv_kernel_dim": 4, "intermediate_size": 256,
       "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 64,
       "shared_expert_intermediate_size": 64, "decoder_sparse_step": 1, "mlp_only_layers": [2],
       "norm_topk_prob": true, "rms_norm_eps": 1e-6, "rope_theta": 10000000.0,
       "partial_rotary_factor": 0.25, "max_position_embeddings": 512,
       "tie_word_embeddings": false, "torch_dtype": "bfloat16"}
      """;

  /** Writes a random Qwen3.5 MoE checkpoint into {@code dir} and returns it. */
  static Path qwen35Moe(Path dir) throws IOException {
    return write(
        dir, QWEN35_MOE_CONFIG, Map.of("model.visual.blocks.0.proj.weight", new long[] {8, 8}));
  }

  /**
   * Writes a random Qwen3.5 MoE checkpoint with {@code tie_word_embeddings} set that still stores
   * an {@code lm_head.weight}, which the MLX model must drop, and returns it.
   */
  static Path qwen35MoeTied(Path dir) throws IOException {
    String tied =
        QWEN35_MOE_CONFIG.replace(
            "\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true");
    return write(dir, tied, Map.of("lm_head.weight", new long[] {256, 128}));
  }

  /** Writes a random Qwen3-Next checkpoint into {@code dir} and returns it. */
  static Path qwen3Next(Path dir) throws IOException {
    return write(dir, QWEN3_NEXT_CONFIG, Map.of());
  }

  private static Path write(Path dir, String configText, Map<String, long[]> extra)
      throws IOException {
    Files.createDirectories(dir);
    JsonNode config = JSON.readTree(configText);
    ModelConfig model = ModelConfig.fromJson(config, "test config");
    Random random = new Random(configText.hashCode());
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    for (ExpectedTensor tensor : model.expectedTensors()) {
      writer.addFloats(tensor.name(), DType.BF16, tensor.shape(), values(tensor, random));
    }
    writer.addFloats(
        "mtp.fc.weight", DType.BF16, new long[] {128, 256}, gaussian(128 * 256, random));
    for (Map.Entry<String, long[]> entry : extra.entrySet()) {
      long[] shape = entry.getValue();
      writer.addFloats(
          entry.getKey(), DType.BF16, shape, gaussian((int) (shape[0] * shape[1]), random));
    }
    writer.write(dir.resolve("model.safetensors"));
    Files.writeString(dir.resolve("config.json"), configText);
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"}}");
    Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
    Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages }}");
    Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 2}");
    Files.writeString(dir.resolve("README.md"), "not copied");
    return dir;
  }

  /** Draws values that suit each tensor's role, so that the forward pass stays finite. */
  private static float[] values(ExpectedTensor tensor, Random random) {
    long[] shape = tensor.shape();
    int count = 1;
    for (long dim : shape) {
      count *= (int) dim;
    }
    String name = tensor.name();
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      if (name.endsWith("linear_attn.norm.weight")) {
        out[i] = 1f + 0.1f * (float) random.nextGaussian();
      } else if (name.endsWith("norm.weight")) {
        // Zero-centred norms, some small enough that 1 + w rounds in bf16.
        out[i] =
            (float)
                (random.nextBoolean() ? 0.2 * random.nextGaussian() : 1e-3 * random.nextGaussian());
      } else if (name.endsWith("A_log") || name.endsWith("dt_bias")) {
        out[i] = (float) random.nextDouble();
      } else {
        out[i] = 0.08f * (float) random.nextGaussian();
      }
    }
    return out;
  }

  private static float[] gaussian(int count, Random random) {
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = 0.05f * (float) random.nextGaussian();
    }
    return out;
  }
}
