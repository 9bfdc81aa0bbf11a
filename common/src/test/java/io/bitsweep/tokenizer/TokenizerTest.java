package io.bitsweep.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path qwenTiny;
  private static Tokenizer tokenizer;

  @TempDir Path tmp;

  @BeforeAll
  static void load() {
    qwenTiny = SharedModels.require(SharedModels.QWEN35_TINY);
    tokenizer = Tokenizer.load(qwenTiny);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void encodesGoldenStoryAsGenerated() throws IOException {
    // The golden story ids are the teacher's generated tokens. Encoding the text yields the same
    // tokens after BOS plus the lone "▁" (id 80) that the normalizer prepends, because the
    // vocabulary has no merge of "▁" with "On".
    JsonNode golden = JSON.readTree(qwenTiny.resolve("golden/story.json").toFile());
    int[] generated = ids(golden);
    int[] actual = tokenizer.encode(golden.get("text").asText(), SpecialTokens.ADD);
    assertThat(actual[0]).isEqualTo(1);
    assertThat(actual[1]).isEqualTo(80);
    assertThat(Arrays.copyOfRange(actual, 2, generated.length + 1))
        .containsExactly(Arrays.copyOfRange(generated, 1, generated.length));
  }

  @Test
  void encodesGoldenCodeWithUnknownCharacters() throws IOException {
    JsonNode golden = JSON.readTree(qwenTiny.resolve("golden/code.json").toFile());
    int[] actual = tokenizer.encode(golden.get("text").asText(), SpecialTokens.ADD);
    assertThat(actual).containsExactly(ids(golden));
  }

  @Test
  void encodesGoldenChatRender() throws IOException {
    JsonNode golden = JSON.readTree(qwenTiny.resolve("golden/chat.json").toFile());
    int[] actual = tokenizer.encode(golden.get("text").asText(), SpecialTokens.ADD);
    assertThat(actual).containsExactly(ids(golden));
  }

  @Test
  void addsBosOnlyWhenAsked() {
    int[] with = tokenizer.encode("Once upon a time", SpecialTokens.ADD);
    int[] without = tokenizer.encode("Once upon a time", SpecialTokens.NONE);
    assertThat(with[0]).isEqualTo(1);
    assertThat(without[0]).isNotEqualTo(1);
    assertThat(Arrays.copyOfRange(with, 1, with.length)).containsExactly(without);
  }

  @Test
  void decodeRoundTripsText() {
    String text = "Once upon a time, there was a little girl named Lily.";
    int[] ids = tokenizer.encode(text, SpecialTokens.NONE);
    assertThat(tokenizer.decode(ids)).isEqualTo(text);
  }

  @Test
  void decodeKeepsSpecialTokens() {
    assertThat(tokenizer.decode(new int[] {1})).isEqualTo("<|start_story|>");
  }

  @Test
  void decodeRejectsIdOutsideVocabulary() {
    assertThatThrownBy(() -> tokenizer.decode(new int[] {5, 2048}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token id 2048 at index 1")
        .hasMessageContaining("ids 0 to 2047");
  }

  @Test
  void offsetsCoverTheTextOfEachToken() {
    String text = "Tom said, \"hi.\"\nThe end";
    TokenizedText encoded = tokenizer.encodeWithOffsets(text, SpecialTokens.ADD);
    assertThat(encoded.hasSpan(0)).as("BOS has no text").isFalse();
    // The prepended "▁" takes the span of the first character, so token 1 and 2 overlap.
    assertThat(encoded.ids()[1]).isEqualTo(80);
    assertThat(encoded.charStart()[1]).isZero();
    assertThat(encoded.charEnd()[1]).isEqualTo(1);
    int covered = 0;
    for (int i = 2; i < encoded.length(); i++) {
      assertThat(encoded.charStart()[i]).as("start of token %d", i).isEqualTo(covered);
      covered = encoded.charEnd()[i];
    }
    assertThat(covered).isEqualTo(text.length());
    int said = tokenizer.tokenId("said,▁\"").orElseThrow();
    int index = Arrays.stream(encoded.ids()).boxed().toList().indexOf(said);
    assertThat(text.substring(encoded.charStart()[index], encoded.charEnd()[index]))
        .isEqualTo("said, \"");
  }

  @Test
  void offsetsCountUtf16UnitsOutsideTheBasicPlane() {
    String text = "a \uD83D\uDE00 b é c";
    TokenizedText encoded = tokenizer.encodeWithOffsets(text, SpecialTokens.NONE);
    int last = encoded.length() - 1;
    assertThat(encoded.charEnd()[last]).isEqualTo(text.length());
    assertThat(text.substring(encoded.charStart()[last], encoded.charEnd()[last])).endsWith("c");
    for (int i = 0; i < encoded.length(); i++) {
      if (encoded.ids()[i] == 0) {
        String unknown = text.substring(encoded.charStart()[i], encoded.charEnd()[i]);
        assertThat(unknown).as("text of <unk> token %d", i).isIn("\uD83D\uDE00", "é");
      }
    }
  }

  @Test
  void specialIdsAndVocabularyOfTinyModel() {
    assertThat(tokenizer.bosTokenId()).hasValue(1);
    assertThat(tokenizer.eosTokenIds()).containsExactly(2);
    assertThat(tokenizer.vocabSize()).isEqualTo(2048);
    assertThat(tokenizer.tokenId("<|end_story|>")).hasValue(2);
    assertThat(tokenizer.tokenId("no such token")).isEmpty();
  }

  @Test
  void eosIdsFollowGenerationConfigFirst() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("model"));
    Files.copy(qwenTiny.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [7, 2]}");
    Files.writeString(
        dir.resolve("config.json"),
        "{\"text_config\": {\"bos_token_id\": 1, \"eos_token_id\": 9}}");
    Files.writeString(
        dir.resolve("tokenizer_config.json"), "{\"eos_token\": {\"content\": \"<|end_story|>\"}}");
    try (Tokenizer loaded = Tokenizer.load(dir)) {
      assertThat(loaded.eosTokenIds()).containsExactly(7, 2, 9);
      assertThat(loaded.bosTokenId()).hasValue(1);
    }
  }

  @Test
  void rejectsUnknownSpecialTokenText() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("model"));
    Files.copy(qwenTiny.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bos_token \"<s>\"")
        .hasMessageContaining("tokenizer_config.json");
  }

  @Test
  void missingTokenizerJsonNamesFolder() {
    assertThatThrownBy(() -> Tokenizer.load(tmp))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(tmp.toAbsolutePath().toString())
        .hasMessageContaining("tokenizer.json is missing")
        .hasMessageContaining("copy tokenizer.json");
  }

  @Test
  void invalidTokenizerJsonNamesFile() throws IOException {
    Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": ");
    assertThatThrownBy(() -> Tokenizer.load(tmp))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot parse " + tmp.resolve("tokenizer.json"));
  }

  @Test
  void closedTokenizerRejectsCalls() {
    Tokenizer loaded = Tokenizer.load(qwenTiny);
    loaded.close();
    loaded.close();
    assertThatThrownBy(() -> loaded.encode("a", SpecialTokens.NONE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is closed");
  }

  @Test
  void nativeLibraryComesFromJarInOfflineMode() throws IOException {
    assertThat(System.getProperty(DjlOffline.OFFLINE_PROPERTY)).isEqualTo("true");
    assertThat(System.getProperty(DjlOffline.OPT_OUT_PROPERTY)).isEqualTo("true");
    Path cache = ai.djl.util.Utils.getEngineCacheDir("tokenizers");
    try (var dirs = Files.list(cache)) {
      assertThat(dirs.map(p -> p.getFileName().toString()))
          .as("extracted native library folders in %s", cache)
          .anyMatch(name -> name.contains("-cpu-"))
          .noneMatch(name -> name.contains("-cu"));
    }
  }

  private static int[] ids(JsonNode golden) {
    int[] ids = new int[golden.get("ids").size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = golden.get("ids").get(i).asInt();
    }
    return ids;
  }
}
