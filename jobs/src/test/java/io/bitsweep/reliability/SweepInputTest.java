package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.model.RandomCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad sweep specs and configurations through {@code bitsweep sweep}: each is checked against the
 * model's checkpoint header before Spark starts, and must exit with status 1, one line naming the
 * file and the field with the expected and found value, and no table.
 */
class SweepInputTest {
  @TempDir Path tmp;

  /**
   * One bad spec or configuration.
   *
   * @param name what is wrong
   * @param option {@code --spec} or {@code --config}
   * @param text the YAML spec or JSON configuration
   * @param message the expected message fragments, given the spec or configuration file
   */
  record Case(String name, String option, String text, Function<Path, List<String>> message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(
            "unknown group",
            "--spec",
            recipe("{default: 4, groups: {mlp_gate: 3}}"),
            file ->
                List.of(
                    file + ": blocks[0].recipes.r.groups.mlp_gate: unknown layer group"
                        + " \"mlp_gate\"",
                    "valid groups are embed, lm_head, attn_qkv, attn_out, gdn_in")),
        new Case(
            "bits MLX does not support",
            "--spec",
            "name: bad\nblocks:\n  - name: u\n    kind: uniform\n    settings: [7]\n",
            file ->
                List.of(
                    file + ": ",
                    "7 bits is not supported by MLX affine quantization; use one of [2, 3, 4, 5, 6,"
                        + " 8]")),
        new Case(
            "group size MLX does not support",
            "--config",
            "{\"default\": \"4/48\"}",
            file ->
                List.of(
                    file + ": default.group_size: group size 48 is not supported by MLX affine"
                        + " quantization; use one of [32, 64, 128]")),
        new Case(
            "layer range outside the model",
            "--spec",
            recipe("{default: 4, groups: {gdn_out@0-11: 8}}"),
            file ->
                List.of(
                    file.toString(),
                    "groups.gdn_out@0-11: layer range 0-11 is outside the model, which has 8"
                        + " decoder layers (0-7); narrow the range")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void sweepRejectsBadSpec(Case bad) {
    String name = bad.option().equals("--spec") ? "spec.yaml" : "config.json";
    Path file = TinyModelCopy.writeFile(tmp, name, bad.text());

    Cli.Result result = sweep(TinyModelCopy.source(), bad.option(), file);

    assertRejected(result, bad.message().apply(file));
  }

  @Test
  void groupSizeMustDivideInputDimension() throws IOException {
    // The random dense Qwen3.5 model has intermediate_size 96, so mlp.down_proj rows hold 96 values.
    Path model =
        RandomCheckpoints.write(
            RandomCheckpoints.config(RandomCheckpoints.Variant.QWEN3_5_DENSE),
            tmp.resolve("dense"),
            1,
            RandomCheckpoints.Layout.SINGLE_FILE);
    Path config =
        TinyModelCopy.writeFile(tmp, "config.json", "{\"default\": 4, \"groups\": {\"mlp_down\": \"4/64\"}}");

    Cli.Result result = sweep(model, "--config", config);

    assertRejected(
        result,
        List.of(
            config + ": Cannot apply configuration ",
            "model.language_model.layers.0.mlp.down_proj.weight: last dimension 96 is not divisible"
                + " by group size 64",
            "(setting 4/64 of mlp_down)"));
  }

  @Test
  void missingConfigFileNamedWithFix() {
    Path missing = tmp.resolve("missing.json");

    Cli.Result swept = sweep(TinyModelCopy.source(), "--config", missing);
    Cli.Result planned = Cli.run("plan", "--config", missing.toString());

    assertRejected(swept, List.of(missing + ": no such file or folder; check the path"));
    assertThat(planned.status()).as("exit status of plan").isEqualTo(1);
    assertThat(planned.stderr())
        .isEqualTo("bitsweep plan: " + missing + ": no such file or folder; check the path\n");
  }

  @Test
  void launcherPrintsOneLineNotStackTrace() throws Exception {
    Path config = TinyModelCopy.writeFile(tmp, "config.json", "{\"default\": 7}");
    Path output = tmp.resolve("output.txt");

    Process process = ChildJvm.start(output, "plan", "--config", config.toString());

    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("plan finished").isTrue();
    assertThat(process.exitValue()).as("exit status").isEqualTo(1);
    List<String> lines =
        Files.readAllLines(output).stream().filter(line -> !line.startsWith("WARNING: Using incubator")).toList();
    assertThat(lines)
        .as("output of bitsweep plan")
        .containsExactly(
            "bitsweep plan: " + config + ": default.bits: 7 bits is not supported by MLX affine"
                + " quantization; use one of [2, 3, 4, 5, 6, 8]");
  }

  @Test
  void badMasterPrintsOneLine() throws Exception {
    Path output = tmp.resolve("output.txt");
    Path out = tmp.resolve("out");

    Process process =
        ChildJvm.start(output, "calibrate", "--out", out.toString(), "--master", "bogus");

    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("calibrate finished").isTrue();
    assertThat(process.exitValue()).as("exit status").isEqualTo(1);
    List<String> lines =
        Files.readAllLines(output).stream()
            .filter(line -> !line.startsWith("WARNING: Using incubator"))
            .toList();
    assertThat(lines)
        .as("output of bitsweep calibrate")
        .containsExactly("bitsweep calibrate: Could not parse Master URL: 'bogus'");
  }

  private Cli.Result sweep(Path model, String option, Path file) {
    return Cli.run(
        "sweep",
        "--model", model.toString(),
        "--out", tmp.resolve("out").toString(),
        option, file.toString(),
        "--master", "local[1]");
  }

  private void assertRejected(Cli.Result result, List<String> expected) {
    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr()).as("stderr").startsWith("bitsweep sweep: ").endsWith("\n");
    assertThat(result.stderr().lines().count()).as("lines on stderr").isEqualTo(1);
    for (String fragment : expected) {
      assertThat(result.stderr()).as("stderr").contains(fragment);
    }
    assertThat(Cli.filesBesideLogs(tmp.resolve("out"))).as("files written under out").isEmpty();
  }

  private static String recipe(String groups) {
    return "name: bad\nblocks:\n  - name: b\n    kind: recipes\n    recipes:\n      r: " + groups + "\n";
  }
}
