package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.calibration.CalibrationSet;
import io.bitsweep.calibration.LengthPolicy;
import io.bitsweep.calibration.ScoreMode;
import io.bitsweep.calibration.ShardedSample;
import io.bitsweep.jobs.CalibrateJob;
import io.bitsweep.jobs.ModelRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad calibration input through {@code bitsweep calibrate}: the tokenizer and chat template of the
 * model, and the JSONL sample files. Each case must exit with status 1 and one line naming the
 * file, line or sample, and write no table. Inputs are checked before Spark starts, so no case
 * here starts Spark.
 */
class CalibrationInputTest {
  private static final String CHAT =
      "{\"id\": \"%s\", \"category\": \"dialogue\", \"messages\": [{\"role\": \"user\","
          + " \"content\": \"Tell me a story.\"}, {\"role\": \"assistant\", \"content\": \"%s\"}]}";
  private static final String USER_ONLY =
      "{\"id\": \"%s\", \"category\": \"dialogue\", \"messages\": [{\"role\": \"user\","
          + " \"content\": \"Hello there.\"}]}";

  @TempDir Path tmp;

  /**
   * One bad input.
   *
   * @param name what is wrong
   * @param model prepares the model folder under the given folder (a copy when it must change)
   * @param lines the lines of the calibration file
   * @param options extra command-line options
   * @param message the expected message fragments, given the model folder and the calibration file
   */
  record Case(
      String name,
      Function<Path, Path> model,
      List<String> lines,
      List<String> options,
      BiFunction<Path, Path, List<String>> message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    Function<Path, Path> shared = parent -> TinyModelCopy.source();
    List<String> twoChats =
        List.of(String.format(CHAT, "c1", "Once upon a time."), String.format(CHAT, "c2", "The end."));
    return Stream.of(
        new Case(
            "tokenizer.json missing",
            parent -> {
              Path model = TinyModelCopy.copy(parent);
              delete(model.resolve("tokenizer.json"));
              return model;
            },
            twoChats,
            List.of(),
            (model, file) ->
                List.of(
                    "Cannot load the tokenizer of " + model + ": tokenizer.json is missing; copy"
                        + " tokenizer.json from the model's Hugging Face repository into the folder"
                        + " (bitsweep reads only the fast-tokenizer format)")),
        new Case(
            "chat template raises on a sample",
            parent -> {
              Path model = TinyModelCopy.copy(parent);
              TinyModelCopy.writeFile(
                  model,
                  "chat_template.jinja",
                  "{%- for m in messages %}{%- if m.role == 'system' %}"
                      + "{{ raise_exception('system messages are not supported') }}{%- endif %}"
                      + "{{ m.role + ': ' + m.content + '\\n' }}{%- endfor %}");
              return model;
            },
            List.of(
                String.format(CHAT, "ok-1", "Fine."),
                "{\"id\": \"sys-1\", \"category\": \"dialogue\", \"messages\": [{\"role\":"
                    + " \"system\", \"content\": \"Be brief.\"}, {\"role\": \"assistant\","
                    + " \"content\": \"Hi.\"}]}"),
            List.of(),
            (model, file) ->
                List.of(
                    "Cannot render sample sys-1 (" + file + ":2) with the chat template of "
                        + model.resolve("chat_template.jinja") + ": ",
                    "system messages are not supported")),
        new Case(
            "sample longer than the maximum, rejected",
            shared,
            twoChats,
            List.of("--max-length", "8", "--long-samples", "REJECT"),
            (model, file) ->
                List.of(
                    "Cannot use sample c1 (" + file + ":1): it has ",
                    " tokens, more than the maximum length 8; shorten or split it, raise the"
                        + " maximum length, or truncate long samples")),
        new Case(
            "invalid JSON on line 3",
            shared,
            List.of(String.format(CHAT, "c1", "Hi."), "", "{\"id\": \"c3\", \"messages\": ["),
            List.of(),
            (model, file) ->
                List.of(
                    "Cannot read " + file + ":3: invalid JSON (",
                    "); each line must be one complete JSON object")),
        new Case(
            "unknown role",
            shared,
            List.of(
                "{\"id\": \"r1\", \"category\": \"dialogue\", \"messages\": [{\"role\": \"user\","
                    + " \"content\": \"Hi\"}, {\"role\": \"bot\", \"content\": \"Hello\"}]}"),
            List.of(),
            (model, file) ->
                List.of(
                    "Cannot read sample r1 (" + file + ":1): messages[1].role is \"bot\"; allowed"
                        + " roles are system, user, assistant, tool")),
        new Case(
            "tool call arguments not JSON",
            shared,
            List.of(
                "{\"id\": \"t1\", \"category\": \"tool_call\", \"messages\": [{\"role\": \"user\","
                    + " \"content\": \"Weather?\"}, {\"role\": \"assistant\", \"tool_calls\":"
                    + " [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
                    + " \"arguments\": \"{\\\"city\\\": Oslo}\"}}]}]}"),
            List.of(),
            (model, file) ->
                List.of(
                    "Cannot read sample t1 (" + file + ":1): messages[1].tool_calls[0].function"
                        + ".arguments is not valid JSON (",
                    "): {\"city\": Oslo}")),
        new Case(
            "empty file",
            shared,
            List.of("", "  "),
            List.of(),
            (model, file) ->
                List.of(
                    "Cannot read " + file + ": it has no samples (the file is empty or has only"
                        + " blank lines); remove it from the inputs or add one JSON object per"
                        + " line")),
        new Case(
            "no sample scores a position",
            shared,
            List.of(String.format(USER_ONLY, "u1"), String.format(USER_ONLY, "u2")),
            List.of(),
            (model, file) ->
                List.of(
                    "Cannot calibrate " + model + ": none of the 2 samples scores a position (in"
                        + " assistant mode a conversation needs an assistant message that the"
                        + " template renders within the first 2048 tokens); add assistant turns or"
                        + " score all positions")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void calibrateRejectsBadInput(Case bad) {
    Path model = bad.model().apply(tmp.resolve("models"));
    Path file = TinyModelCopy.writeFile(tmp, "samples.jsonl", String.join("\n", bad.lines()) + "\n");
    Path out = tmp.resolve("out");
    List<String> args =
        new ArrayList<>(
            List.of(
                "calibrate",
                "--model", model.toString(),
                "--out", out.toString(),
                "--calibration", file.toString(),
                "--shards", "1",
                "--master", "local[1]"));
    args.addAll(bad.options());

    Cli.Result result = Cli.run(args.toArray(String[]::new));

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr()).as("stderr").startsWith("bitsweep calibrate: ").endsWith("\n");
    assertThat(result.stderr().lines().count()).as("lines on stderr").isEqualTo(1);
    for (String expected : bad.message().apply(model, file)) {
      assertThat(result.stderr()).as("stderr").contains(expected);
    }
    assertThat(Cli.filesBesideLogs(out)).as("files written under %s", out).isEmpty();
  }

  @Test
  void longSamplesAreTruncatedAndCounted() {
    List<String> lines = new ArrayList<>();
    lines.add(String.format(CHAT, "long-1", "The cat sat on the mat. ".repeat(20)));
    lines.add(String.format(CHAT, "long-2", "A dog ran to the park and back. ".repeat(20)));
    lines.add(String.format(CHAT, "short", "Hi."));
    Path file = TinyModelCopy.writeFile(tmp, "samples.jsonl", String.join("\n", lines) + "\n");
    ModelRef model = ModelRef.resolve(TinyModelCopy.source().toString());

    CalibrationSet set =
        CalibrateJob.load(
            new CalibrateJob.Options(
                model, List.of(file), 64, LengthPolicy.TRUNCATE, ScoreMode.ASSISTANT, 1));

    assertThat(set.total().truncated()).as("samples truncated").isEqualTo(2);
    assertThat(set.total().samples()).as("samples kept").isEqualTo(3);
    for (ShardedSample sample : set.samples()) {
      assertThat(sample.sample().length()).as(sample.sample().sampleId()).isLessThanOrEqualTo(64);
    }
  }

  private static void delete(Path file) {
    try {
      Files.delete(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
