package io.bitsweep.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import io.bitsweep.model.RandomCheckpoints.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small dense Qwen3.5 model with random weights, written as a complete Hugging Face model folder:
 * {@code config.json}, bf16 weights in {@code model.safetensors}, a byte-level tokenizer ({@link
 * ByteLevelTokenizerFiles}) and a ChatML chat template that renders system, user, assistant and
 * tool messages, tool definitions and parallel tool calls. The CLI runs the pipeline on it when no
 * model is given and the shared tiny model is absent. Its KLD values mean nothing about real
 * models.
 *
 * <p>The model has 4 layers (3 linear-attention, then 1 full-attention), hidden size 128,
 * intermediate size 256 and an untied head, so {@code embed} and {@code lm_head} are separate
 * groups and every weight that MLX quantizes has an input dimension of 128 or 256, divisible by the
 * group sizes 32, 64 and 128. Its vocabulary is the 263 ids of the tokenizer.
 *
 * <p>The folder depends only on {@link #SEED} and this code, so it has the same bytes and the same
 * model id on every machine. {@link #ensure} generates it once into a cache folder (see {@link
 * RandomModelCache}).
 */
public final class RandomQwen35 {
  /** Name of the model folder, and so the name part of its model id. */
  public static final String FOLDER_NAME = "random-qwen35";

  /** Seed of the weights. */
  public static final long SEED = 35;

  /**
   * Version of the generated files. Raise it whenever a change to this class, its template or
   * {@link RandomCheckpoints} changes the bytes written, so cached folders are regenerated.
   */
  static final int GENERATOR_VERSION = 1;

  /*
   * Factors on the random weights, which RandomCheckpoints scales like a trained model's. Without
   * them the logits have a standard deviation near 1, so the next-token distributions over 263 ids
   * are nearly flat (mean entropy 5.1 nats, at most 5.6 possible). The random layers also amplify
   * weight error so much that uniform 8-bit already costs a mean KLD of 0.003 nats. With them the
   * logits' standard deviation is near 3 (mean entropy about 2.6 nats), and the token embedding
   * dominates the residual stream. The mean KLD of uniform 8, 4 and 2 bits at group size 64 is then
   * about 4e-4, 0.06 and 1 nats, close to the trained tiny Qwen3.5 model's. Measured on 1,500
   * characters of conf/calibration/dialogue.jsonl.
   */

  /** Factor on {@code lm_head}: logits with a standard deviation near 3. */
  static final double HEAD_GAIN = 3.0;

  /** Factor on {@code embed_tokens}: a standard deviation of 1 instead of 0.25. */
  static final double EMBED_GAIN = 4.0;

  /** Factor on the projections that write to the residual stream: o_proj, out_proj, down_proj. */
  static final double RESIDUAL_GAIN = 0.3;

  static final String CHAT_TEMPLATE_RESOURCE = "random-qwen35-chat-template.jinja";

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private RandomQwen35() {}

  /**
   * Returns the default cache folder of the model: {@code target/random-qwen35} in the repository.
   * It lives in the build output of this checkout, so {@code mvn clean} removes it, another
   * checkout never reuses a model that an older generator wrote, and no other user of the machine
   * can plant files in it, as one could in a shared temporary folder.
   *
   * @throws IllegalStateException when the repository root cannot be found
   */
  public static Path defaultFolder() {
    return SharedModels.repositoryRoot().resolve("target").resolve(FOLDER_NAME);
  }

  /**
   * Returns {@code folder} after making sure it contains the complete model: an existing folder is
   * reused when its completion marker matches this generator and its content hash, and is otherwise
   * generated again. Generation writes into a temporary sibling folder and renames it into place,
   * so an interrupted run never leaves a half-written model under {@code folder}.
   *
   * @throws UncheckedIOException when the folder cannot be written
   */
  public static Path ensure(Path folder) {
    return new RandomModelCache(folder, GENERATOR_VERSION, SEED).ensure(RandomQwen35::write);
  }

  /**
   * Writes the model files into {@code directory} (created if needed): config.json,
   * model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json and a README.
   * The bytes depend only on {@link #SEED} and this code.
   */
  public static Path write(Path directory) throws IOException {
    RandomCheckpoints.write(config(), directory, SEED, Layout.SINGLE_FILE, RandomQwen35::gain);
    RandomCheckpoints.JSON_WRITER.writeValue(
        directory.resolve("tokenizer.json").toFile(), ByteLevelTokenizerFiles.tokenizerJson());
    RandomCheckpoints.JSON_WRITER.writeValue(
        directory.resolve("tokenizer_config.json").toFile(),
        ByteLevelTokenizerFiles.tokenizerConfig(chatTemplate()));
    RandomCheckpoints.JSON_WRITER.writeValue(
        directory.resolve("generation_config.json").toFile(),
        ByteLevelTokenizerFiles.generationConfig());
    Files.writeString(directory.resolve("README.md"), readme(), StandardCharsets.UTF_8);
    return directory;
  }

  /** Returns the factor on the random values of a tensor. */
  static double gain(String tensorName) {
    if (tensorName.equals(ModelConfig.LM_HEAD)) {
      return HEAD_GAIN;
    }
    if (tensorName.endsWith(".embed_tokens.weight")) {
      return EMBED_GAIN;
    }
    boolean residualOutput =
        tensorName.endsWith(".o_proj.weight")
            || tensorName.endsWith(".out_proj.weight")
            || tensorName.endsWith(".down_proj.weight");
    return residualOutput ? RESIDUAL_GAIN : 1.0;
  }

  /** Returns the config.json tree: qwen3_5 with a nested text_config, as Qwen3.5 releases have. */
  public static ObjectNode config() {
    ObjectNode text = JSON.objectNode();
    text.put("model_type", "qwen3_5_text");
    text.put("vocab_size", ByteLevelTokenizerFiles.vocabSize());
    text.put("hidden_size", 128);
    text.put("intermediate_size", 256);
    text.put("num_hidden_layers", 4);
    ArrayNode types = text.putArray("layer_types");
    types.add("linear_attention").add("linear_attention").add("linear_attention");
    types.add("full_attention");
    text.put("full_attention_interval", 4);
    text.put("num_attention_heads", 4);
    text.put("num_key_value_heads", 2);
    text.put("head_dim", 32);
    text.put("attention_bias", false);
    text.put("attn_output_gate", true);
    text.put("linear_num_key_heads", 2);
    text.put("linear_num_value_heads", 4);
    text.put("linear_key_head_dim", 32);
    text.put("linear_value_head_dim", 32);
    text.put("linear_conv_kernel_dim", 4);
    text.put("hidden_act", "silu");
    text.put("rms_norm_eps", 1e-6);
    text.set("rope_parameters", ropeParameters());
    text.put("max_position_embeddings", 4096);
    text.put("tie_word_embeddings", false);
    text.put("eos_token_id", ByteLevelTokenizerFiles.id(ByteLevelTokenizerFiles.IM_END));
    text.put("pad_token_id", ByteLevelTokenizerFiles.id(ByteLevelTokenizerFiles.END_OF_TEXT));
    text.put("dtype", "bfloat16");

    ObjectNode root = JSON.objectNode();
    root.putArray("architectures").add("Qwen3_5ForConditionalGeneration");
    root.put("model_type", "qwen3_5");
    root.set("text_config", text);
    root.put("tie_word_embeddings", false);
    root.put("dtype", "bfloat16");
    return root;
  }

  /**
   * Rotary embedding on 8 of each head's 32 dims, as in Qwen3.5. The mrope_section entry splits
   * their 4 frequencies.
   */
  private static ObjectNode ropeParameters() {
    ObjectNode rope = JSON.objectNode();
    rope.put("rope_type", "default");
    rope.put("rope_theta", 10_000_000.0);
    rope.put("partial_rotary_factor", 0.25);
    rope.putArray("mrope_section").add(1).add(1).add(2);
    rope.put("mrope_interleaved", true);
    return rope;
  }

  /** Returns the Jinja2 source of the chat template. */
  static String chatTemplate() {
    try (InputStream in = RandomQwen35.class.getResourceAsStream(CHAT_TEMPLATE_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "Missing class-path resource io/bitsweep/model/"
                + CHAT_TEMPLATE_RESOURCE
                + "; rebuild the common module");
      }
      // A checkout that converts line ends would otherwise change the model's content hash.
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + CHAT_TEMPLATE_RESOURCE, e);
    }
  }

  private static String readme() {
    return "# "
        + FOLDER_NAME
        + "\n\nA Qwen3.5 model with random weights, generated by bitsweep's"
        + " io.bitsweep.model.RandomQwen35 (seed "
        + SEED
        + ", generator version "
        + GENERATOR_VERSION
        + ").\nIt lets the pipeline run without a real model. Its KLD values and leaderboard"
        + " mean nothing about real models.\n";
  }
}
