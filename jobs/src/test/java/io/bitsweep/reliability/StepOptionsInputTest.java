package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invalid numeric options of {@code calibrate}, {@code run} and {@code reference}, and a
 * selection that no configuration of the spec can meet: each fails before Spark starts, with one
 * line naming the option, the value and the valid range, and leaves no table.
 */
class StepOptionsInputTest {
  @TempDir Path tmp;

  /**
   * One invalid option.
   *
   * @param command {@code run} or {@code reference}
   * @param options the invalid option and its value
   * @param message the expected message after {@code bitsweep <command>: }, given the model folder
   */
  record Case(String command, List<String> options, Function<Path, String> message) {
    @Override
    public String toString() {
      return command + " " + String.join(" ", options);
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(
            "calibrate",
            List.of("--max-length", "1"),
            model ->
                "Invalid --max-length 1: expected at least 2, so that one position has a next"
                    + " token to score"),
        new Case(
            "calibrate",
            List.of("--shards", "-3"),
            model -> "Invalid --shards -3: expected at least 1"),
        new Case("run", List.of("--top-k", "0"), model -> topK(0, model)),
        new Case("run", List.of("--top-k", "2049"), model -> topK(2049, model)),
        new Case("reference", List.of("--top-k", "5000"), model -> topK(5000, model)),
        new Case(
            "run",
            List.of("--tail-samples", "-1"),
            model ->
                "Invalid --tail-samples -1: expected 0 (the plain top-k form) or more"
                    + " (default 64)"),
        new Case(
            "reference",
            List.of("--tail-samples", "100000"),
            model ->
                "Invalid --tail-samples 100000: expected at most 2048, the vocab_size of "
                    + model.resolve("config.json")
                    + " (default 64)"),
        new Case(
            "run",
            List.of("--configs-per-task", "0"),
            model -> "--configs-per-task is 0, expected at least 1"),
        new Case(
            "run",
            List.of("--max-bpw", "1"),
            model ->
                "No configuration of the sweep fits the budget (max 1.000 bits per weight); the"
                    + " smallest is 2/64 at 469856 bytes, 2.581 bits per weight; raise the budget"
                    + " or add lower-bit configurations"),
        new Case(
            "run",
            List.of("--rank", "7"),
            model -> "Invalid --rank 7: the sweep has 6 configurations, so ranks 1 to 6"),
        new Case(
            "run",
            List.of("--rank", "-1"),
            model -> "Invalid --rank -1: expected a rank from 1, or 0 to select by budget"),
        new Case(
            "run",
            List.of("--max-bpw", "NaN"),
            model -> "Invalid --max-bpw NaN: expected bits per weight, or 0 for no limit"),
        new Case(
            "run",
            List.of("--max-bytes", "-5"),
            model -> "Invalid --max-bytes -5: expected a size in bytes, or 0 for no limit"));
  }

  private static String topK(int value, Path model) {
    return "Invalid --top-k "
        + value
        + ": expected 1 to 2048, the vocab_size of "
        + model.resolve("config.json")
        + "; pass a value in that range (default 64)";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void optionRejectedBeforeAnyTable(Case c) {
    Path model = TinyModelCopy.source();
    Path out = tmp.resolve("out");
    List<String> args = new ArrayList<>(List.of(c.command(), "--out", out.toString()));
    args.addAll(List.of("--model", model.toString(), "--master", "local[1]"));
    if (c.command().equals("run")) {
      Path spec = SharedModels.repositoryRoot().resolve("conf/sweeps/smoke.yaml");
      args.addAll(List.of("--spec", spec.toString()));
    }
    args.addAll(c.options());

    Cli.Result result = Cli.run(args.toArray(String[]::new));

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo("bitsweep " + c.command() + ": " + c.message().apply(model) + "\n");
    assertThat(Cli.filesBesideLogs(out)).as("files under %s", out).isEmpty();
  }
}
