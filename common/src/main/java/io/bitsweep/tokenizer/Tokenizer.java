package io.bitsweep.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's Hugging Face tokenizer, loaded from the {@code tokenizer.json} of a model folder and
 * run by the native tokenizers library that DJL bundles in its jar. The BOS and EOS ids come from
 * the folder's {@code generation_config.json}, {@code config.json} and {@code
 * tokenizer_config.json}.
 *
 * <p>Encoding and decoding are thread-safe. Close the tokenizer to free its native memory; a closed
 * tokenizer rejects every call.
 */
public final class Tokenizer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Tokenizer.class);

  /** Options that keep DJL from truncating or padding: the caller decides the length. */
  private static final Map<String, String> NATIVE_OPTIONS =
      Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true");

  private final Path modelDir;
  private final HuggingFaceTokenizer tokenizer;
  private final TokenizerFiles files;

  private Tokenizer(Path modelDir, HuggingFaceTokenizer tokenizer, TokenizerFiles files) {
    this.modelDir = modelDir;
    this.tokenizer = tokenizer;
    this.files = files;
  }

  /**
   * Loads the tokenizer of a model folder.
   *
   * @throws IllegalArgumentException when the folder has no {@code tokenizer.json}, or when a
   *     tokenizer file is invalid
   * @throws IllegalStateException when DJL cannot be kept offline (see {@link DjlOffline})
   */
  public static Tokenizer load(Path modelDir) {
    Path dir = modelDir.toAbsolutePath().normalize();
    Path file = dir.resolve(TokenizerFiles.TOKENIZER_JSON);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "Cannot load the tokenizer of "
              + dir
              + ": tokenizer.json is missing; copy tokenizer.json from the model's Hugging Face"
              + " repository into the folder (bitsweep reads only the fast-tokenizer format)");
    }
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    TokenizerFiles files = TokenizerFiles.read(dir, json);
    DjlOffline.ensure();
    HuggingFaceTokenizer tokenizer = createNative(file, json);
    LOG.debug("Loaded tokenizer {} with {} ids", file, files.vocabSize());
    return new Tokenizer(dir, tokenizer, files);
  }

  private static HuggingFaceTokenizer createNative(Path file, String json) {
    try {
      byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
      return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), NATIVE_OPTIONS);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot load tokenizer "
              + file
              + ": the Hugging Face tokenizers library rejected it ("
              + e.getMessage()
              + "); check that the file comes from a tokenizers release that DJL 0.38.0 can read",
          e);
    }
  }

  /** Returns the model folder this tokenizer was loaded from. */
  public Path modelDir() {
    return modelDir;
  }

  /** Encodes {@code text} into token ids. */
  public int[] encode(String text, SpecialTokens specialTokens) {
    return toInts(nativeEncode(text, specialTokens).getIds());
  }

  /** Encodes {@code text} into token ids with the span of text each token came from. */
  public TokenizedText encodeWithOffsets(String text, SpecialTokens specialTokens) {
    Encoding encoding = nativeEncode(text, specialTokens);
    int[] ids = toInts(encoding.getIds());
    CharSpan[] spans = encoding.getCharTokenSpans();
    int[] start = new int[ids.length];
    int[] end = new int[ids.length];
    int[] utf16Index = codePointToUtf16Index(text);
    for (int i = 0; i < ids.length; i++) {
      CharSpan span = spans[i];
      // The native library counts Unicode code points; Java strings index UTF-16 units.
      start[i] = span == null ? -1 : utf16Index[span.getStart()];
      end[i] = span == null ? -1 : utf16Index[span.getEnd()];
    }
    return new TokenizedText(ids, start, end);
  }

  /**
   * Decodes token ids into text, special tokens included.
   *
   * @throws IllegalArgumentException when an id lies outside the vocabulary
   */
  public String decode(int[] ids) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= files.vocabSize()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Cannot decode token id %d at index %d: the vocabulary of %s has ids 0 to %d",
                ids[i],
                i,
                modelDir,
                files.vocabSize() - 1));
      }
      longs[i] = ids[i];
    }
    checkOpen();
    return tokenizer.decode(longs, false);
  }

  /**
   * Returns the BOS id, if generation_config.json, config.json or tokenizer_config.json names one.
   */
  public OptionalInt bosTokenId() {
    return files.bosTokenId();
  }

  /**
   * Returns the EOS ids named by generation_config.json, config.json and tokenizer_config.json, in
   * that order and without repeats; empty when none names one.
   */
  public List<Integer> eosTokenIds() {
    return files.eosTokenIds();
  }

  /**
   * Returns the number of token ids: one more than the largest id in tokenizer.json. The model's
   * embedding may have more rows than this.
   */
  public int vocabSize() {
    return files.vocabSize();
  }

  /** Returns the id of a token given by its text in the vocabulary, if it exists. */
  public OptionalInt tokenId(String token) {
    return files.tokenId(token);
  }

  /** Frees the native tokenizer. Closing twice is allowed. */
  @Override
  public void close() {
    tokenizer.close();
  }

  private Encoding nativeEncode(String text, SpecialTokens specialTokens) {
    checkOpen();
    return tokenizer.encode(text, specialTokens == SpecialTokens.ADD, false);
  }

  private void checkOpen() {
    if (tokenizer.isReleased()) {
      throw new IllegalStateException(
          "Cannot use the tokenizer of " + modelDir + ": it is closed; load it again");
    }
  }

  private static int[] codePointToUtf16Index(String text) {
    int codePoints = text.codePointCount(0, text.length());
    int[] index = new int[codePoints + 1];
    int utf16 = 0;
    for (int i = 0; i < codePoints; i++) {
      index[i] = utf16;
      utf16 += Character.charCount(text.codePointAt(utf16));
    }
    index[codePoints] = utf16;
    return index;
  }

  private static int[] toInts(long[] ids) {
    int[] result = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      result[i] = Math.toIntExact(ids[i]);
    }
    return result;
  }
}
