package io.bitsweep.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import io.bitsweep.model.RandomCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes a random checkpoint with every shape of Qwen3.5-0.8B: 24 layers (18 linear-attention,
 * 6 full-attention), hidden size 1024, vocabulary 248320, tied head, about 1.4 GiB of bf16. It
 * adds the tokenizer and chat template of the tiny shared model, so the whole pipeline can run on
 * it to measure memory and time at that size. The weights are random, so KLD values mean nothing.
 *
 * <p>Usage: {@code java -cp <test class path> io.bitsweep.testing.GenerateQwen35Small DIR}
 */
public final class GenerateQwen35Small {
  private static final List<String> TOKENIZER_FILES =
      List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

  private GenerateQwen35Small() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("Usage: GenerateQwen35Small DIR");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    RandomCheckpoints.write(config(), out, 1, RandomCheckpoints.Layout.TWO_SHARDS);
    Path tiny = SharedModels.require(SharedModels.QWEN35_TINY);
    for (String file : TOKENIZER_FILES) {
      Files.copy(tiny.resolve(file), out.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    System.out.println("wrote " + out);
  }

  /** Returns the text config of Qwen3.5-0.8B as published, in the flat qwen3_5_text form. */
  static ObjectNode config() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("model_type", "qwen3_5_text");
    root.put("vocab_size", 248320);
    root.put("hidden_size", 1024);
    root.put("intermediate_size", 3584);
    root.put("num_hidden_layers", 24);
    root.put("full_attention_interval", 4);
    root.put("num_attention_heads", 8);
    root.put("num_key_value_heads", 2);
    root.put("head_dim", 256);
    root.put("linear_num_key_heads", 16);
    root.put("linear_num_value_heads", 16);
    root.put("linear_key_head_dim", 128);
    root.put("linear_value_head_dim", 128);
    root.put("linear_conv_kernel_dim", 4);
    root.put("rms_norm_eps", 1e-6);
    root.put("rope_theta", 10_000_000.0);
    root.put("partial_rotary_factor", 0.25);
    root.put("tie_word_embeddings", true);
    return root;
  }
}
