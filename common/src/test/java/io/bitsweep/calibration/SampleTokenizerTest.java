package io.bitsweep.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.tokenizer.ChatTemplate;
import io.bitsweep.tokenizer.SpecialTokens;
import io.bitsweep.tokenizer.TokenizedText;
import io.bitsweep.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleTokenizerTest {
  private static final TokenizationOptions DEFAULTS =
      new TokenizationOptions(4096, LengthPolicy.TRUNCATE, ScoreMode.ASSISTANT);

  /** A tool round trip: a call with JSON arguments, the tool's result, the final reply. */
  private static final String TOOL_CHAT =
      "{\"id\": \"w1\", \"category\": \"tool_call\", \"tools\": [{\"type\": \"function\","
          + " \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\","
          + " \"properties\": {\"city\": {\"type\": \"string\"}}}}}], \"messages\": ["
          + "{\"role\": \"system\", \"content\": \"Answer briefly.\"},"
          + "{\"role\": \"user\", \"content\": \"Is it warm in Paris?\"},"
          + "{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"type\": \"function\","
          + " \"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}]},"
          + "{\"role\": \"tool\", \"content\": \"{\\\"temperature\\\": 21}\"},"
          + "{\"role\": \"assistant\", \"content\": \"Yes, it is 21 degrees.\"}]}";

  private static Path qwenTiny;
  private static Tokenizer tokenizer;
  private static ChatTemplate tinyTemplate;

  @TempDir Path tmp;

  @BeforeAll
  static void load() {
    qwenTiny = SharedModels.require(SharedModels.QWEN35_TINY);
    tokenizer = Tokenizer.load(qwenTiny);
    tinyTemplate = ChatTemplate.load(qwenTiny);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void locatesTinyTemplateAssistantTurns() throws IOException {
    AssistantSpans spans = new AssistantSpans(tinyTemplate);
    assertThat(spans.endMarker()).isEqualTo("<|im_end|>");
    AssistantSpans.Located located = spans.locate(chat(TOOL_CHAT));
    assertThat(spanTexts(located))
        .containsExactly(
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call><|im_end|>",
            "Yes, it is 21 degrees.<|im_end|>");
  }

  @Test
  void locatesTurnsWhereHistoryRendersDifferently() throws IOException {
    // python_like.jinja shows a thinking block only in turns after the last user query that have
    // reasoning or are last, as Qwen3 templates do, so a render that stops after a turn differs
    // from the full render. The empty thinking block of the last turn belongs to the turn.
    ChatTemplate template = ChatTemplate.of(resource("python_like.jinja"), "python_like.jinja");
    String line =
        "{\"id\": \"q\", \"category\": \"tool_call\", \"messages\": ["
            + "{\"role\": \"user\", \"content\": \"Find it.\"},"
            + "{\"role\": \"assistant\", \"content\": \"<think>\\nSearch.\\n</think>\\n\\nOK.\","
            + " \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"find\","
            + " \"arguments\": {\"q\": \"x\", \"n\": 2}}}]},"
            + "{\"role\": \"tool\", \"content\": \"found\"},"
            + "{\"role\": \"assistant\", \"content\": \"Done.\"}]}";
    AssistantSpans.Located located = new AssistantSpans(template).locate(chat(line));
    assertThat(spanTexts(located))
        .containsExactly(
            "<think>\nSearch.\n</think>\n\nOK.\n<tool_call>\n<function=find>\n<parameter=q>\nx\n"
                + "</parameter>\n<parameter=n>\n2\n</parameter>\n</function>\n</tool_call>"
                + "<|im_end|>",
            "<think>\n\n</think>\n\nDone.<|im_end|>");
  }

  @Test
  void scoresOnlyNextTokensInAssistantTurns() throws IOException {
    ChatSample sample = chat(TOOL_CHAT);
    TokenizedSample tokenized = sampleTokenizer(DEFAULTS).tokenize(sample);
    AssistantSpans.Located located = new AssistantSpans(tinyTemplate).locate(sample);
    TokenizedText tokens = tokenizer.encodeWithOffsets(located.text(), SpecialTokens.ADD);
    assertThat(tokenized.tokenIds()).containsExactly(tokens.ids());
    assertThat(tokenized.tokenIds()[0]).as("BOS").isEqualTo(1);

    boolean[] covered = new boolean[located.text().length()];
    for (int t = 0; t + 1 < tokenized.length(); t++) {
      int next = t + 1;
      boolean inside = false;
      for (AssistantSpans.Span span : located.spans()) {
        inside |= tokens.charStart()[next] < span.end() && tokens.charEnd()[next] > span.start();
      }
      assertThat(tokenized.scoreMask()[t]).as("position %d", t).isEqualTo(inside);
      if (tokenized.scoreMask()[t]) {
        Arrays.fill(covered, tokens.charStart()[next], tokens.charEnd()[next], true);
      }
    }
    for (AssistantSpans.Span span : located.spans()) {
      for (int c = span.start(); c < span.end(); c++) {
        assertThat(covered[c]).as("character %d of an assistant turn", c).isTrue();
      }
    }
    assertThat(tokenized.scoreMask()[tokenized.length() - 1]).isFalse();
    assertThat(tokenized.scoredCount()).isBetween(20, tokenized.length() / 2);
  }

  @Test
  void scoredTextExcludesOtherRoles() throws IOException {
    TokenizedSample tokenized = sampleTokenizer(DEFAULTS).tokenize(chat(TOOL_CHAT));
    String scored = decodeScoredNextTokens(tokenized);
    assertThat(scored).contains("get_weather").contains("21 degrees");
    assertThat(scored)
        .doesNotContain("Paris?")
        .doesNotContain("tool_response")
        .doesNotContain("Answer briefly")
        .doesNotContain("These tools");
  }

  @Test
  void allModeScoresEveryPosition() throws IOException {
    TokenizationOptions all = new TokenizationOptions(4096, LengthPolicy.TRUNCATE, ScoreMode.ALL);
    TokenizedSample tokenized = sampleTokenizer(all).tokenize(chat(TOOL_CHAT));
    assertThat(tokenized.scoredCount()).isEqualTo(tokenized.length() - 1);
  }

  @Test
  void textSampleScoresEveryPosition() {
    TextSample text = new TextSample("t", "code", "test", "def add(a, b):\n    return a + b\n");
    TokenizedSample tokenized = sampleTokenizer(DEFAULTS).tokenize(text);
    assertThat(tokenized.tokenIds()[0]).isEqualTo(1);
    assertThat(tokenized.scoredCount()).isEqualTo(tokenized.length() - 1);
    assertThat(tokenized.truncated()).isFalse();
  }

  @Test
  void truncatesLongSamples() throws IOException {
    TokenizationOptions shortOptions =
        new TokenizationOptions(12, LengthPolicy.TRUNCATE, ScoreMode.ALL);
    TokenizedSample full = sampleTokenizer(DEFAULTS).tokenize(chat(TOOL_CHAT));
    TokenizedSample cut = sampleTokenizer(shortOptions).tokenize(chat(TOOL_CHAT));
    assertThat(cut.length()).isEqualTo(12);
    assertThat(cut.originalLength()).isEqualTo(full.length());
    assertThat(cut.truncated()).isTrue();
    assertThat(cut.tokenIds()).containsExactly(Arrays.copyOf(full.tokenIds(), 12));
    assertThat(cut.scoredCount()).isEqualTo(11);
    assertThat(cut.scoreMask()[11]).isFalse();
  }

  @Test
  void rejectsLongSamplesWhenAsked() throws IOException {
    TokenizationOptions reject = new TokenizationOptions(12, LengthPolicy.REJECT, ScoreMode.ALL);
    int length = sampleTokenizer(DEFAULTS).tokenize(chat(TOOL_CHAT)).length();
    assertThatThrownBy(() -> sampleTokenizer(reject).tokenize(chat(TOOL_CHAT)))
        .isInstanceOf(CalibrationException.class)
        .hasMessageStartingWith(
            "Cannot use sample w1 (test:1): it has "
                + length
                + " tokens, more than the maximum"
                + " length 12;");
  }

  @Test
  void conversationNeedsChatTemplate() throws IOException {
    Path llama = SharedModels.require(SharedModels.LLAMA_TINY);
    try (Tokenizer llamaTokenizer = Tokenizer.load(llama)) {
      SampleTokenizer noTemplate =
          new SampleTokenizer(llamaTokenizer, ChatTemplate.find(llama), DEFAULTS);
      assertThatThrownBy(() -> noTemplate.tokenize(chat(TOOL_CHAT)))
          .isInstanceOf(CalibrationException.class)
          .hasMessage(
              "Cannot tokenize sample w1 (test:1): it is a conversation, but the model in "
                  + llama
                  + " has no chat template; use plain-text samples for this model");
      TextSample text = new TextSample("s", "dialogue", "test", "Once upon a time");
      assertThat(noTemplate.tokenize(text).scoredCount()).isPositive();
    }
  }

  @Test
  void templateErrorNamesSample() throws IOException {
    ChatTemplate failing = ChatTemplate.of("{{ raise_exception('no tools here') }}", "strict");
    SampleTokenizer strict = new SampleTokenizer(tokenizer, Optional.of(failing), DEFAULTS);
    assertThatThrownBy(() -> strict.tokenize(chat(TOOL_CHAT)))
        .isInstanceOf(CalibrationException.class)
        .hasMessage(
            "Cannot render sample w1 (test:1) with the chat template of strict: Cannot render the"
                + " chat template of strict: line 1: the template raised an error: no tools here");
  }

  @Test
  void bosInRenderIsNotAddedTwice() throws IOException {
    Path model = Files.createDirectory(tmp.resolve("model"));
    Files.copy(qwenTiny.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
    Files.writeString(
        model.resolve("tokenizer_config.json"),
        "{\"bos_token\": \"<|start_story|>\", \"chat_template\": \"{{ bos_token }}{% for m in"
            + " messages %}{{ m.content }}{% endfor %}\"}");
    try (Tokenizer modelTokenizer = Tokenizer.load(model)) {
      SampleTokenizer withBos =
          new SampleTokenizer(modelTokenizer, ChatTemplate.find(model), DEFAULTS);
      int[] ids = withBos.tokenize(chat(TOOL_CHAT)).tokenIds();
      assertThat(ids[0]).isEqualTo(1);
      assertThat(ids[1]).isNotEqualTo(1);
    }
  }

  private static SampleTokenizer sampleTokenizer(TokenizationOptions options) {
    return new SampleTokenizer(tokenizer, Optional.of(tinyTemplate), options);
  }

  private String decodeScoredNextTokens(TokenizedSample sample) {
    List<Integer> next = new ArrayList<>();
    for (int t = 0; t + 1 < sample.length(); t++) {
      if (sample.scoreMask()[t]) {
        next.add(sample.tokenIds()[t + 1]);
      }
    }
    return tokenizer.decode(next.stream().mapToInt(Integer::intValue).toArray());
  }

  private static List<String> spanTexts(AssistantSpans.Located located) {
    return located.spans().stream()
        .map(span -> located.text().substring(span.start(), span.end()))
        .toList();
  }

  private ChatSample chat(String line) throws IOException {
    Path file = Files.writeString(tmp.resolve("sample.jsonl"), line);
    ChatSample sample = (ChatSample) SampleFiles.readJsonl(file).get(0);
    return new ChatSample(
        sample.id(), sample.category(), "test:1", sample.messages(), sample.tools());
  }

  private static String resource(String name) throws IOException {
    try (InputStream in =
        SampleTokenizerTest.class.getResourceAsStream("/chat-templates/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
