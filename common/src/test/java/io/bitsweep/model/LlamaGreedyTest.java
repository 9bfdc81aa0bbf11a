package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Greedy decoding of the trained TinyStories-656K Llama model from BOS. */
class LlamaGreedyTest {
  private static final int BOS = 1;
  private static final int EOS = 2;

  /** The start of the greedy story that an independent PyTorch implementation decodes. */
  private static final String EXPECTED =
      "Once upon a time, there was a little girl named Lily. She had a toy car that she loved very"
          + " much. One day, she went to the park to play with her toy car in the park.";

  @Test
  void greedyStoryFromBos() throws IOException {
    Path folder = SharedModels.require(SharedModels.LLAMA_TINY);
    Map<Integer, String> vocab = vocabulary(folder.resolve("tokenizer.json"));
    try (LanguageModel model = LanguageModel.open(folder)) {
      assertThat(model.config().architecture()).isEqualTo(Architecture.LLAMA);
      assertThat(model.config().embedTensor()).isEqualTo("lm_head.weight");

      int[] generated = model.generate(new int[] {BOS}, 48, EOS);

      String text = decode(generated, vocab);
      assertThat(decode(java.util.Arrays.copyOf(generated, 12), vocab))
          .startsWith("Once upon a time, there was a little girl named Lily");
      assertThat(text).startsWith(EXPECTED);
    }
  }

  /** Maps ids to pieces from tokenizer.json, reading {@code ▁} as a space. */
  static Map<Integer, String> vocabulary(Path tokenizerJson) throws IOException {
    JsonNode pieces = new ObjectMapper().readTree(tokenizerJson.toFile()).get("model").get("vocab");
    Map<Integer, String> byId = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = pieces.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      byId.put(entry.getValue().asInt(), entry.getKey().replace('\u2581', ' '));
    }
    return byId;
  }

  static String decode(int[] ids, Map<Integer, String> vocab) {
    StringBuilder text = new StringBuilder();
    for (int id : ids) {
      text.append(vocab.get(id));
    }
    return text.toString().strip();
  }
}
