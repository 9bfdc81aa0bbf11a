package io.bitsweep.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The tokenizer files of {@link RandomQwen35}: a byte-level BPE tokenizer in the Hugging Face
 * {@code tokenizer.json} format whose vocabulary is the 256 byte symbols with no merges, so every
 * UTF-8 byte of the text is one token, plus the ChatML markers and tool tags as added tokens.
 *
 * <p>Token ids: byte {@code b} has id {@code b}, and the added tokens follow from 256 in the order
 * of {@link #ADDED_TOKENS}.
 */
final class ByteLevelTokenizerFiles {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** Number of byte tokens, the ids 0 to 255. */
  static final int BYTE_TOKENS = 256;

  /** End of text: the padding token. */
  static final String END_OF_TEXT = "<|endoftext|>";

  /** Opens a ChatML turn. */
  static final String IM_START = "<|im_start|>";

  /** Closes a ChatML turn: the end-of-sequence token of the chat model. */
  static final String IM_END = "<|im_end|>";

  /** Added tokens after the byte tokens: the special ones first, then the tool tags. */
  static final List<String> ADDED_TOKENS =
      List.of(
          END_OF_TEXT,
          IM_START,
          IM_END,
          "<tool_call>",
          "</tool_call>",
          "<tool_response>",
          "</tool_response>");

  /** The first three added tokens are special: decoders may skip them. */
  private static final int SPECIAL_TOKENS = 3;

  private ByteLevelTokenizerFiles() {}

  /** Returns the number of token ids: the byte tokens and the added tokens. */
  static int vocabSize() {
    return BYTE_TOKENS + ADDED_TOKENS.size();
  }

  /** Returns the id of an added token. */
  static int id(String addedToken) {
    int index = ADDED_TOKENS.indexOf(addedToken);
    if (index < 0) {
      throw new IllegalArgumentException(
          "Unknown added token " + addedToken + "; expected one of " + ADDED_TOKENS);
    }
    return BYTE_TOKENS + index;
  }

  /** Returns the {@code tokenizer.json} tree. */
  static ObjectNode tokenizerJson() {
    ObjectNode root = JSON.objectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < ADDED_TOKENS.size(); i++) {
      ObjectNode token = addedToken(ADDED_TOKENS.get(i), i < SPECIAL_TOKENS);
      added.add(JSON.objectNode().put("id", BYTE_TOKENS + i).setAll(token));
    }
    root.putNull("normalizer");
    root.set("pre_tokenizer", byteLevel());
    root.set("post_processor", byteLevel());
    root.set("decoder", byteLevel());
    root.set("model", bpeModel());
    return root;
  }

  /** Returns the {@code tokenizer_config.json} tree with the chat template. */
  static ObjectNode tokenizerConfig(String chatTemplate) {
    ObjectNode root = JSON.objectNode();
    root.put("add_bos_token", false);
    root.put("add_prefix_space", false);
    ObjectNode decoder = root.putObject("added_tokens_decoder");
    for (int i = 0; i < ADDED_TOKENS.size(); i++) {
      decoder.set(
          String.valueOf(BYTE_TOKENS + i), addedToken(ADDED_TOKENS.get(i), i < SPECIAL_TOKENS));
    }
    root.putNull("bos_token");
    root.put("chat_template", chatTemplate);
    root.put("clean_up_tokenization_spaces", false);
    root.put("eos_token", IM_END);
    root.put("errors", "replace");
    root.put("model_max_length", 4096);
    root.put("pad_token", END_OF_TEXT);
    root.put("split_special_tokens", false);
    root.put("tokenizer_class", "PreTrainedTokenizerFast");
    root.putNull("unk_token");
    return root;
  }

  /** Returns the {@code generation_config.json} tree: stop at either end token, greedy. */
  static ObjectNode generationConfig() {
    ObjectNode root = JSON.objectNode();
    root.putArray("eos_token_id").add(id(IM_END)).add(id(END_OF_TEXT));
    root.put("pad_token_id", id(END_OF_TEXT));
    root.put("do_sample", false);
    return root;
  }

  private static ObjectNode addedToken(String content, boolean special) {
    ObjectNode token = JSON.objectNode();
    token.put("content", content);
    token.put("single_word", false);
    token.put("lstrip", false);
    token.put("rstrip", false);
    token.put("normalized", false);
    token.put("special", special);
    return token;
  }

  private static ObjectNode byteLevel() {
    ObjectNode node = JSON.objectNode();
    node.put("type", "ByteLevel");
    node.put("add_prefix_space", false);
    node.put("trim_offsets", false);
    node.put("use_regex", true);
    return node;
  }

  private static ObjectNode bpeModel() {
    ObjectNode model = JSON.objectNode();
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    for (int b = 0; b < BYTE_TOKENS; b++) {
      vocab.put(byteSymbol(b), b);
    }
    model.putArray("merges");
    return model;
  }

  /**
   * Returns the character that represents byte {@code b} in byte-level vocabularies (the GPT-2
   * convention that Hugging Face's ByteLevel pre-tokenizer applies): printable Latin-1 bytes map to
   * themselves, and the other 68 bytes map in order to U+0100 and up, so that no symbol is
   * whitespace or a control character.
   */
  static String byteSymbol(int b) {
    if (isPrintable(b)) {
      return String.valueOf((char) b);
    }
    int shifted = 0;
    for (int other = 0; other < b; other++) {
      if (!isPrintable(other)) {
        shifted++;
      }
    }
    return String.valueOf((char) (BYTE_TOKENS + shifted));
  }

  private static boolean isPrintable(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  }
}
