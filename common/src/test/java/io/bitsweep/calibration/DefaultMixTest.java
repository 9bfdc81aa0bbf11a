package io.bitsweep.calibration;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import io.bitsweep.tokenizer.ChatTemplate;
import io.bitsweep.tokenizer.GenerationPrompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checks the default mix in conf/calibration and the counts its README states. */
class DefaultMixTest {
  private static Path mix;
  private static List<CalibrationSample> samples;

  @BeforeAll
  static void read() {
    mix = SharedModels.repositoryRoot().resolve("conf/calibration");
    samples = SampleFiles.read(List.of(mix));
  }

  @Test
  void categoriesHaveExpectedSizes() {
    Map<String, Long> counts =
        samples.stream()
            .collect(Collectors.groupingBy(CalibrationSample::category, Collectors.counting()));
    assertThat(counts)
        .containsExactlyInAnyOrderEntriesOf(Map.of("dialogue", 40L, "code", 30L, "tool_call", 52L));
  }

  @Test
  void toolSamplesCoverCallShapes() {
    int single = 0;
    int withResults = 0;
    int multiStep = 0;
    int parallel = 0;
    int textArguments = 0;
    for (CalibrationSample sample : samples) {
      if (!sample.category().equals("tool_call")) {
        continue;
      }
      ChatSample chat = (ChatSample) sample;
      assertThat(chat.tools()).as(chat.id()).isNotEmpty();
      for (var tool : chat.tools()) {
        assertThat(tool.path("function").path("parameters").path("type").asText())
            .as("parameters schema of a tool in %s", chat.id())
            .isEqualTo("object");
      }
      List<Message> calling =
          chat.messages().stream().filter(message -> !message.toolCalls().isEmpty()).toList();
      single += calling.size() == 1 && calling.get(0).toolCalls().size() == 1 ? 1 : 0;
      multiStep += calling.size() > 1 ? 1 : 0;
      parallel += calling.stream().anyMatch(message -> message.toolCalls().size() > 1) ? 1 : 0;
      withResults += chat.messages().stream().anyMatch(m -> m.role() == Role.TOOL) ? 1 : 0;
      textArguments +=
          (int)
              calling.stream()
                  .flatMap(message -> message.toolCalls().stream())
                  .filter(ToolCall::argumentsAsText)
                  .count();
    }
    assertThat(single).as("single calls").isGreaterThanOrEqualTo(20);
    assertThat(multiStep).as("multi-step chains").isGreaterThanOrEqualTo(10);
    assertThat(parallel).as("parallel calls").isGreaterThanOrEqualTo(10);
    assertThat(withResults).as("samples with tool results").isGreaterThanOrEqualTo(30);
    assertThat(textArguments).as("calls with string arguments").isGreaterThanOrEqualTo(10);
  }

  @Test
  void tinyTemplateRendersEveryToolCall() {
    ChatTemplate template = ChatTemplate.load(SharedModels.require(SharedModels.QWEN35_TINY));
    for (CalibrationSample sample : samples) {
      if (sample instanceof ChatSample chat) {
        String text =
            template.render(chat.templateMessages(), chat.templateTools(), GenerationPrompt.OMIT);
        long calls = chat.messages().stream().mapToLong(m -> m.toolCalls().size()).sum();
        assertThat(text.split("<tool_call>\n\\{\"name\": \"", -1).length - 1)
            .as("tool calls rendered for %s", chat.id())
            .isEqualTo((int) calls);
      }
    }
  }

  @Test
  void readmeCountsMatchMeasurement() throws IOException {
    CalibrationSet set =
        CalibrationLoader.builder()
            .model(SharedModels.require(SharedModels.QWEN35_TINY))
            .inputs(List.of(mix))
            .load();
    assertThat(set.zeroScoredIds()).isEmpty();
    assertThat(set.total().truncated()).isZero();
    String readme = Files.readString(mix.resolve("README.md"));
    assertThat(tableRows(readme)).isEqualTo(tableRows(CalibrationReport.table(set)));
  }

  /** Returns the rows of the size table by category name. */
  private static Map<String, String> tableRows(String markdown) {
    Map<String, String> rows = new TreeMap<>();
    Matcher row =
        Pattern.compile(
                "^\\| (\\w+) \\| (\\d+ \\| \\d+ \\| \\d+ \\| \\d+ \\| \\d+) \\|$",
                Pattern.MULTILINE)
            .matcher(markdown);
    while (row.find()) {
      rows.put(row.group(1), row.group(2));
    }
    assertThat(rows).as("size table rows").containsKeys("dialogue", "code", "tool_call", "total");
    return rows;
  }
}
