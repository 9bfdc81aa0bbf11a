package io.bitsweep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import io.bitsweep.model.RandomQwen35;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantSetting;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bitsweep run} without {@code --model} while the shared tiny model is missing (the
 * system property {@link SharedModels#ROOT_PROPERTY} points at an empty folder), so the command
 * generates the random Qwen3.5 model and runs the whole pipeline on it.
 */
class RandomModelRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void runWithoutSharedModelUsesRandomQwen35() throws IOException {
    Path sharedRoot = Files.createDirectories(tmp.resolve("no-shared-models"));
    Path calibration = writeCalibration(tmp.resolve("calibration.jsonl"));
    Path out = tmp.resolve("run");
    Path spec = SharedModels.repositoryRoot().resolve("conf/sweeps/smoke.yaml");

    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    System.setErr(new PrintStream(tee(originalErr, stderr), true, StandardCharsets.UTF_8));
    System.setProperty(SharedModels.ROOT_PROPERTY, sharedRoot.toString());
    int status;
    try {
      status =
          Main.execute(
              "run",
              "--out",
              out.toString(),
              "--master",
              "local[2]",
              "--spec",
              spec.toString(),
              "--calibration",
              calibration.toString(),
              "--shards",
              "2",
              "--top-k",
              "32",
              "--rank",
              "2");
    } finally {
      System.clearProperty(SharedModels.ROOT_PROPERTY);
      System.setErr(originalErr);
    }

    String console = stderr.toString(StandardCharsets.UTF_8);
    assertThat(status).as("exit status; stderr:%n%s", console).isZero();
    String notice =
        "bitsweep: the shared tiny model was not found at "
            + sharedRoot.resolve(SharedModels.QWEN35_TINY)
            + "; using a random Qwen3.5 checkpoint at "
            + RandomQwen35.defaultFolder()
            + " instead, whose results mean nothing about real models";
    assertThat(console).as("stderr of the run").contains(notice);
    assertThat(console.split("was not found at", -1)).as("notices printed").hasSize(2);

    Map<String, JsonNode> rows = leaderboardByConfigId(out);
    assertThat(rows).as("leaderboard rows, one per smoke configuration").hasSize(6);
    assertThat(meanKld(rows, QuantSetting.BF16)).as("mean KLD of bf16").isZero();
    JsonNode bf16 = rows.get(QuantConfig.uniform(QuantSetting.BF16).id());
    assertThat(bf16.path("category_kld").fieldNames())
        .toIterable()
        .as("categories scored, one sample each")
        .containsExactlyInAnyOrder("code", "dialogue", "tool_call");
    double eight = meanKld(rows, QuantSetting.affine(8, 64));
    double two = meanKld(rows, QuantSetting.affine(2, 64));
    assertThat(eight).as("mean KLD of uniform 8-bit").isPositive();
    assertThat(two).as("mean KLD of uniform 2-bit").isGreaterThan(10 * eight);
    assertThat(out.resolve("selected.json")).isRegularFile();
    assertThat(out.resolve("mlx/config.json")).isRegularFile();
    assertThat(out.resolve("mlx/tokenizer_config.json")).isRegularFile();
  }

  /** Writes the first conversation of each file of the default mix. */
  private static Path writeCalibration(Path file) throws IOException {
    Path mix = SharedModels.repositoryRoot().resolve("conf/calibration");
    List<String> lines = new ArrayList<>();
    for (String name : List.of("dialogue.jsonl", "tool_calls.jsonl", "code.jsonl")) {
      lines.add(
          Files.readAllLines(mix.resolve(name), StandardCharsets.UTF_8).stream()
              .filter(line -> !line.isBlank())
              .findFirst()
              .orElseThrow());
    }
    Files.write(file, lines, StandardCharsets.UTF_8);
    return file;
  }

  private static Map<String, JsonNode> leaderboardByConfigId(Path out) throws IOException {
    Map<String, JsonNode> rows = new HashMap<>();
    for (JsonNode row : JSON.readTree(out.resolve("leaderboard.json").toFile())) {
      rows.put(row.path("config_id").asText(), row);
    }
    return rows;
  }

  private static double meanKld(Map<String, JsonNode> rows, QuantSetting setting) {
    String id = QuantConfig.uniform(setting).id();
    JsonNode row = rows.get(id);
    assertThat(row).as("leaderboard row of uniform %s (%s)", setting.label(), id).isNotNull();
    return row.path("mean_kld").asDouble(Double.NaN);
  }

  private static OutputStream tee(OutputStream first, OutputStream second) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        first.write(b);
        second.write(b);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        first.write(bytes, offset, length);
        second.write(bytes, offset, length);
      }

      @Override
      public void flush() throws IOException {
        first.flush();
        second.flush();
      }
    };
  }
}
