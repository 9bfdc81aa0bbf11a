package io.bitsweep.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.JsonErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Reads what the native tokenizer does not report from a model folder: the vocabulary of {@code
 * tokenizer.json} and the BOS and EOS ids named by {@code generation_config.json}, {@code
 * config.json} (top level or {@code text_config}) and {@code tokenizer_config.json}.
 */
final class TokenizerFiles {
  static final String TOKENIZER_JSON = "tokenizer.json";
  static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  static final String GENERATION_CONFIG = "generation_config.json";
  static final String MODEL_CONFIG = "config.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Token ids by token text, from the model's vocabulary and the added tokens. */
  private final Map<String, Integer> idByToken;

  private final int vocabSize;
  private final OptionalInt bosTokenId;
  private final List<Integer> eosTokenIds;

  private TokenizerFiles(Path dir, JsonNode tokenizerJson) {
    this.idByToken = readVocabulary(dir, tokenizerJson);
    this.vocabSize = idByToken.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    JsonNode generation = readOptional(dir.resolve(GENERATION_CONFIG));
    JsonNode config = readOptional(dir.resolve(MODEL_CONFIG));
    JsonNode tokenizerConfig = readOptional(dir.resolve(TOKENIZER_CONFIG));
    this.bosTokenId = firstId(dir, "bos", generation, config, tokenizerConfig);
    this.eosTokenIds = allIds(dir, "eos", generation, config, tokenizerConfig);
  }

  /** Reads the files of {@code dir}, given the text of its tokenizer.json. */
  static TokenizerFiles read(Path dir, String tokenizerJson) {
    return new TokenizerFiles(dir, parse(dir.resolve(TOKENIZER_JSON), tokenizerJson));
  }

  int vocabSize() {
    return vocabSize;
  }

  OptionalInt bosTokenId() {
    return bosTokenId;
  }

  List<Integer> eosTokenIds() {
    return eosTokenIds;
  }

  OptionalInt tokenId(String token) {
    Integer id = idByToken.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  private static Map<String, Integer> readVocabulary(Path dir, JsonNode root) {
    Map<String, Integer> ids = new HashMap<>();
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = vocab.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> entry = fields.next();
        ids.put(entry.getKey(), entry.getValue().asInt());
      }
    } else if (vocab.isArray()) {
      // Unigram models list [token, score] pairs; a token's id is its index.
      for (int i = 0; i < vocab.size(); i++) {
        ids.put(vocab.get(i).path(0).asText(), i);
      }
    } else {
      throw new IllegalArgumentException(
          "Cannot read the vocabulary of "
              + dir.resolve(TOKENIZER_JSON)
              + ": model.vocab is missing or neither an object nor a list; pass a tokenizer.json"
              + " saved by Hugging Face tokenizers");
    }
    for (JsonNode added : root.path("added_tokens")) {
      ids.put(added.path("content").asText(), added.path("id").asInt());
    }
    return ids;
  }

  private OptionalInt firstId(
      Path dir, String kind, JsonNode generation, JsonNode config, JsonNode tokenizerConfig) {
    List<Integer> ids = allIds(dir, kind, generation, config, tokenizerConfig);
    return ids.isEmpty() ? OptionalInt.empty() : OptionalInt.of(ids.get(0));
  }

  /**
   * Collects the ids named by generation_config.json, then config.json, then the token text in
   * tokenizer_config.json, without repeats.
   */
  private List<Integer> allIds(
      Path dir, String kind, JsonNode generation, JsonNode config, JsonNode tokenizerConfig) {
    Set<Integer> ids = new LinkedHashSet<>();
    String idField = kind + "_token_id";
    addIds(ids, generation.path(idField));
    addIds(ids, config.path(idField));
    addIds(ids, config.path("text_config").path(idField));
    JsonNode token = tokenizerConfig.path(kind + "_token");
    JsonNode textNode = token.isObject() ? token.path("content") : token;
    if (textNode.isTextual()) {
      String text = textNode.asText();
      Integer id = idByToken.get(text);
      if (id == null) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Cannot resolve %s_token \"%s\" of %s: tokenizer.json has no such token; fix the"
                    + " token text in tokenizer_config.json",
                kind,
                text,
                dir.resolve(TOKENIZER_CONFIG)));
      }
      ids.add(id);
    }
    return List.copyOf(ids);
  }

  private static void addIds(Set<Integer> ids, JsonNode node) {
    if (node.isIntegralNumber()) {
      ids.add(node.asInt());
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        if (element.isIntegralNumber()) {
          ids.add(element.asInt());
        }
      }
    }
  }

  private static JsonNode readOptional(Path file) {
    if (!Files.isRegularFile(file)) {
      return JSON.missingNode();
    }
    try {
      return parse(file, Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode parse(Path file, String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "Cannot parse "
              + file
              + " as JSON: "
              + JsonErrors.describe(e)
              + "; restore the file"
              + " from the model's repository",
          e);
    }
  }
}
