package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import io.bitsweep.calibration.CalibrationLoader;
import io.bitsweep.calibration.CalibrationSample;
import io.bitsweep.calibration.CalibrationSet;
import io.bitsweep.calibration.ChatSample;
import io.bitsweep.calibration.LengthPolicy;
import io.bitsweep.calibration.SampleFiles;
import io.bitsweep.calibration.SampleTokenizer;
import io.bitsweep.calibration.ScoreMode;
import io.bitsweep.calibration.ShardedSample;
import io.bitsweep.calibration.TokenizationOptions;
import io.bitsweep.calibration.TokenizedSample;
import io.bitsweep.tokenizer.ChatTemplate;
import io.bitsweep.tokenizer.GenerationPrompt;
import io.bitsweep.tokenizer.SpecialTokens;
import io.bitsweep.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the tokenizer and chat template of the random Qwen3.5 model against hand-written
 * expectations and the default calibration mix.
 */
class RandomQwen35ChatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;

  private static Path folder;
  private static Tokenizer tokenizer;
  private static ChatTemplate template;

  @BeforeAll
  static void generate() throws IOException {
    folder = RandomQwen35.write(tmp.resolve(RandomQwen35.FOLDER_NAME));
    tokenizer = Tokenizer.load(folder);
    template = ChatTemplate.load(folder);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void tokenizerRoundTripsText() {
    String text = "Héllo,  wörld!\n\tTabs, 35–40 °C, ✓ and 🙂; <tool_call>{\"a\": 1}</tool_call>";

    int[] ids = tokenizer.encode(text, SpecialTokens.ADD);

    assertThat(tokenizer.decode(ids)).isEqualTo(text);
    int tags = 2;
    int tagBytes = "<tool_call>".length() + "</tool_call>".length();
    assertThat(ids)
        .as("one id per UTF-8 byte, one per tool tag")
        .hasSize(text.getBytes(StandardCharsets.UTF_8).length - tagBytes + tags);
    assertThat(Arrays.copyOf(ids, 2))
        .as("ids of 'H' and the first byte of 'é'")
        .containsExactly((int) 'H', 0xC3);
  }

  @Test
  void tokenizerHasChatMarkers() {
    assertThat(tokenizer.tokenId("<|endoftext|>")).hasValue(256);
    assertThat(tokenizer.tokenId("<|im_start|>")).hasValue(257);
    assertThat(tokenizer.tokenId("<|im_end|>")).hasValue(258);
    assertThat(tokenizer.encode("<|im_start|>user\n", SpecialTokens.ADD))
        .containsExactly(257, 'u', 's', 'e', 'r', '\n');
    assertThat(tokenizer.eosTokenIds()).containsExactly(258, 256);
    assertThat(tokenizer.bosTokenId()).isEmpty();
    assertThat(tokenizer.vocabSize()).isEqualTo(263);
  }

  @Test
  void templateRendersToolConversation() throws IOException {
    List<Map<String, Object>> tools =
        parse(
            """
            [{"type": "function",
              "function": {"name": "get_time", "parameters": {"type": "object"}}}]
            """);
    List<Map<String, Object>> messages =
        parse(
            """
            [{"role": "system", "content": "Be brief."},
             {"role": "user", "content": "Time in Oslo and Lima?"},
             {"role": "assistant", "content": "Checking.", "tool_calls": [
               {"type": "function",
                "function": {"name": "get_time", "arguments": {"city": "Oslo"}}},
               {"type": "function",
                "function": {"name": "get_time", "arguments": "{\\"city\\": \\"Lima\\"}"}}]},
             {"role": "tool", "content": "10:00"},
             {"role": "tool", "content": "04:00"},
             {"role": "assistant", "content": "Oslo 10:00, Lima 04:00."}]
            """);

    String text = template.render(messages, tools, GenerationPrompt.OMIT);

    String expected =
        """
        <|im_start|>system
        Be brief.

        Functions you can call, one JSON description per line:
        <tools>
        {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
        </tools>

        To call a function, write a JSON object with its name and arguments between <tool_call> \
        and </tool_call>, once per call:
        <tool_call>
        {"name": "function_name", "arguments": {"parameter": "value"}}
        </tool_call><|im_end|>
        <|im_start|>user
        Time in Oslo and Lima?<|im_end|>
        <|im_start|>assistant
        Checking.
        <tool_call>
        {"name": "get_time", "arguments": {"city": "Oslo"}}
        </tool_call>
        <tool_call>
        {"name": "get_time", "arguments": {"city": "Lima"}}
        </tool_call><|im_end|>
        <|im_start|>tool
        <tool_response>
        10:00
        </tool_response><|im_end|>
        <|im_start|>tool
        <tool_response>
        04:00
        </tool_response><|im_end|>
        <|im_start|>assistant
        Oslo 10:00, Lima 04:00.<|im_end|>
        """;
    assertThat(text).isEqualTo(expected);
    assertThat(template.render(messages.subList(1, 2), null, GenerationPrompt.ADD))
        .isEqualTo("<|im_start|>user\nTime in Oslo and Lima?<|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void templateRejectsUnknownRole() {
    List<Map<String, Object>> messages = List.of(Map.of("role", "narrator", "content", "Once"));

    assertThatThrownBy(() -> template.render(messages, null, GenerationPrompt.OMIT))
        .hasMessageContaining("no rule for messages with role narrator");
  }

  /**
   * Every position scored in a conversation predicts a token of an assistant turn, and no other.
   */
  @Test
  void scoredPositionsCoverAssistantTurns() {
    ChatSample sample = chatSample("tool-parallel-weather");
    SampleTokenizer sampleTokenizer =
        new SampleTokenizer(
            tokenizer,
            Optional.of(template),
            new TokenizationOptions(4096, LengthPolicy.REJECT, ScoreMode.ASSISTANT));

    TokenizedSample tokenized = sampleTokenizer.tokenize(sample);

    StringBuilder scored = new StringBuilder();
    int[] ids = tokenized.tokenIds();
    for (int t = 0; t + 1 < ids.length; t++) {
      if (tokenized.scoreMask()[t]) {
        scored.append(tokenizer.decode(new int[] {ids[t + 1]}));
      }
    }
    String calls =
        """
        <tool_call>
        {"name": "get_weather", "arguments": {"city": "Madrid"}}
        </tool_call>
        <tool_call>
        {"name": "get_weather", "arguments": {"city": "Rome"}}
        </tool_call>
        <tool_call>
        {"name": "get_weather", "arguments": {"city": "Athens"}}
        </tool_call><|im_end|>""";
    assertThat(scored.toString())
        .as("text of the scored next tokens")
        .startsWith(calls)
        .endsWith("with some clouds.<|im_end|>")
        .doesNotContain("<|im_start|>", "<tool_response>", "Compare the weather");
  }

  /**
   * The default mix renders with this template, and with the default options (at most 2048 tokens,
   * one per byte) every sample scores positions.
   */
  @Test
  void defaultMixScoresEverySample() {
    Path mix = SharedModels.repositoryRoot().resolve("conf/calibration");
    List<CalibrationSample> samples = SampleFiles.read(List.of(mix));

    CalibrationSet set =
        CalibrationLoader.builder().model(folder).inputs(List.of(mix)).shards(2).load();

    assertThat(set.zeroScoredIds()).as("samples without scored positions").isEmpty();
    assertThat(set.samples()).hasSameSizeAs(samples);
    assertThat(samples.stream().filter(s -> s instanceof ChatSample).count())
        .as("conversations in the mix")
        .isGreaterThan(100);
    for (ShardedSample sharded : set.samples()) {
      TokenizedSample sample = sharded.sample();
      assertThat(sample.scoredCount()).as("scored positions of %s", sample.sampleId()).isPositive();
    }
    for (CalibrationSample sample : samples) {
      if (sample instanceof ChatSample) {
        TokenizedSample tokenized = scoredSample(set, sample.id());
        assertThat(tokenized.scoredCount())
            .as("scored positions of conversation %s, only assistant turns", sample.id())
            .isLessThan(tokenized.length() - 1);
      }
    }
  }

  private static TokenizedSample scoredSample(CalibrationSet set, String id) {
    return set.samples().stream()
        .map(ShardedSample::sample)
        .filter(sample -> sample.sampleId().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no tokenized sample " + id));
  }

  private static ChatSample chatSample(String id) {
    Path file = SharedModels.repositoryRoot().resolve("conf/calibration/tool_calls.jsonl");
    return SampleFiles.readJsonl(file).stream()
        .filter(sample -> sample.id().equals(id))
        .map(ChatSample.class::cast)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no sample " + id + " in " + file));
  }

  /** Parses a JSON list of objects into maps that keep the key order, as templates need. */
  private static List<Map<String, Object>> parse(String json) throws IOException {
    return JSON.readValue(json, new TypeReference<List<Map<String, Object>>>() {});
  }
}
