package io.bitsweep.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Inputs of a small end-to-end run for integration tests: a few calibration samples taken from the
 * default mix, and a sweep spec of three uniform configurations without AWQ.
 */
public final class TinyRun {
  /** Configurations the spec generates. */
  public static final int CONFIGURATIONS = 3;

  /** Calibration shards, so that each step has two tasks. */
  public static final int SHARDS = 2;

  private static final String SPEC =
      """
      name: tiny-run
      description: Three uniform configurations for integration tests.
      blocks:
        - name: uniform
          kind: uniform
          settings: [bf16, 8, 4]
      """;

  private final Path calibration;
  private final Path spec;

  private TinyRun(Path calibration, Path spec) {
    this.calibration = calibration;
    this.spec = spec;
  }

  /**
   * Writes the inputs into {@code folder}: the first two samples of the dialogue and tool-call
   * files and the first one of the code file of {@code conf/calibration}, and the spec.
   */
  public static TinyRun write(Path folder) throws IOException {
    Files.createDirectories(folder);
    Path conf = Scripts.repositoryRoot().resolve("conf/calibration");
    List<String> lines = new ArrayList<>();
    lines.addAll(firstLines(conf.resolve("dialogue.jsonl"), 2));
    lines.addAll(firstLines(conf.resolve("tool_calls.jsonl"), 2));
    lines.addAll(firstLines(conf.resolve("code.jsonl"), 1));
    Path calibration = folder.resolve("calibration.jsonl");
    Files.write(calibration, lines, StandardCharsets.UTF_8);
    Path spec = folder.resolve("tiny-run.yaml");
    Files.writeString(spec, SPEC);
    return new TinyRun(calibration, spec);
  }

  /**
   * Arguments of {@code bitsweep run} on these inputs, with the given model, output folder, master
   * and extra Spark properties. The run writes the MLX model of rank 2, because the tiny model's
   * uniform 4-bit configuration does not fit the default 4.5 bits-per-weight budget.
   */
  public List<String> runArguments(
      String model, String out, String master, Map<String, String> conf) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--model",
                model,
                "--out",
                out,
                "--master",
                master,
                "--spec",
                spec.toString(),
                "--calibration",
                calibration.toString(),
                "--shards",
                String.valueOf(SHARDS),
                "--max-length",
                "512",
                "--top-k",
                "32",
                "--rank",
                "2"));
    conf.forEach((key, value) -> args.addAll(List.of("--conf", key + "=" + value)));
    return args;
  }

  private static List<String> firstLines(Path file, int count) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
        .filter(line -> !line.isBlank())
        .limit(count)
        .toList();
  }
}
