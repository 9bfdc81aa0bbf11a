package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MLX model folder through the CLI: an existing folder is replaced only with {@code
 * --overwrite}, and a write that fails midway leaves neither the folder nor its temporary sibling.
 * No case here starts Spark.
 */
class MlxOutputTest {
  @TempDir Path tmp;

  @Test
  void existingFolderNeedsOverwrite() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("mlx"));
    Files.writeString(out.resolve("keep.txt"), "earlier model");
    Path config = TinyModelCopy.writeFile(tmp, "config.json", "{\"default\": 4}");

    Cli.Result refused = writeMlx(TinyModelCopy.source(), config, out);

    assertThat(refused.status()).as("exit status without --overwrite").isEqualTo(1);
    assertThat(refused.stderr())
        .isEqualTo(
            "bitsweep write-mlx: Cannot write the MLX model to " + out + ": the folder already"
                + " exists; pass --overwrite to replace it, or choose another output folder\n");
    assertThat(out.resolve("keep.txt")).as("file of the earlier model").hasContent("earlier model");

    Cli.Result replaced = writeMlx(TinyModelCopy.source(), config, out, "--overwrite");

    assertThat(replaced.status()).as("exit status with --overwrite").isZero();
    assertThat(out.resolve("keep.txt")).doesNotExist();
    assertThat(out.resolve("model.safetensors")).exists();
    assertThat(siblings()).as("entries of %s", tmp).containsExactlyInAnyOrder("mlx", "config.json");
  }

  @Test
  void runRefusesExistingMlxBeforeSpark() throws IOException {
    Path out = tmp.resolve("run");
    Files.createDirectories(out.resolve("mlx"));

    Cli.Result result =
        Cli.run(
            "run",
            "--out", out.toString(),
            "--spec", SharedModels.repositoryRoot().resolve("conf/sweeps/smoke.yaml").toString(),
            "--master", "local[1]");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep run: Cannot write the MLX model to " + out.resolve("mlx") + ": it already"
                + " exists; pass --overwrite to replace it\n");
    assertThat(Cli.filesBesideLogs(out)).as("files under %s", out).containsExactly("mlx");
  }

  @Test
  void failedWriteLeavesNoFolder() throws IOException {
    // The writer copies tokenizer and text files after the weight shards, so a file that links
    // outside the model folder fails the write once the temporary folder is full.
    Path model = TinyModelCopy.copy(tmp.resolve("models"));
    Path secret = Files.writeString(tmp.resolve("secret.txt"), "not for publishing\n");
    Files.createSymbolicLink(model.resolve("notes.txt"), secret);
    Path config = TinyModelCopy.writeFile(tmp, "config.json", "{\"default\": 4}");
    Path out = tmp.resolve("mlx");

    Cli.Result result = writeMlx(model, config, out);

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .startsWith(
            "bitsweep write-mlx: Cannot read " + model.resolve("notes.txt") + ": it is a symbolic"
                + " link to " + secret.toRealPath() + ", outside the model folder");
    assertThat(out).doesNotExist();
    assertThat(siblings())
        .as("entries of %s: no temporary folder left", tmp)
        .containsExactlyInAnyOrder("models", "secret.txt", "config.json");
  }

  private static Cli.Result writeMlx(Path model, Path config, Path out, String... extra) {
    String[] args = {"write-mlx", "--model", model.toString(), "--config", config.toString(), "--out", out.toString()};
    return Cli.run(Stream.concat(Stream.of(args), Stream.of(extra)).toArray(String[]::new));
  }

  private List<String> siblings() throws IOException {
    try (Stream<Path> files = Files.list(tmp)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
