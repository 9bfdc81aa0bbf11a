package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.eval.CandidateFactory;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.GoldenLogits;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bitsweep logits} writes little-endian float32 {@code [T, vocab]} logits that match the
 * float64 reference, never replaces a folder, and leaves no staging file.
 */
class LogitsOutputTest {
  @TempDir Path tmp;

  @Test
  void folderRejectedAsOutputFile() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Path full = Files.createDirectories(tmp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "kept");

    for (Path folder : new Path[] {empty, full}) {
      Cli.Result result = logits(folder);

      assertThat(result.status()).as("exit status for %s", folder).isEqualTo(1);
      assertThat(result.stderr())
          .isEqualTo(
              "bitsweep logits: Invalid --out " + folder + ": it is a folder, expected a file"
                  + " name for the logits\n");
      assertThat(folder).as("the folder given as --out").isDirectory();
    }
    assertThat(full.resolve("keep.txt")).hasContent("kept");
    try (Stream<Path> entries = Files.list(tmp)) {
      assertThat(entries.map(p -> p.getFileName().toString()).toList())
          .as("entries of %s", tmp)
          .containsExactlyInAnyOrder("empty", "full");
    }
  }

  @Test
  void outputUnderFileNamesTheFile() throws IOException {
    Path file = Files.writeString(tmp.resolve("notes.txt"), "not a folder\n");

    Cli.Result result = logits(file.resolve("logits.bin"));

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep logits: " + file + ": already exists as a file; remove it or choose another"
                + " path\n");
    assertThat(file).as("the file in the path of --out").hasContent("not a folder\n");
  }

  @Test
  void fileWrittenWithoutStagingLeft() throws IOException {
    Path out = tmp.resolve("logits.bin");

    Cli.Result result = logits(out);

    assertThat(result.status()).as("exit status").isZero();
    assertThat(Files.size(out)).as("bytes of 2 rows of 2,048 float32 logits").isEqualTo(16384);
    try (Stream<Path> entries = Files.list(tmp)) {
      assertThat(entries.map(p -> p.getFileName().toString()).toList())
          .as("entries of %s", tmp)
          .containsExactly("logits.bin");
    }
  }

  @Test
  void fileGetsPermissionsOfNewFiles() throws IOException {
    Path out = tmp.resolve("logits.bin");
    Path probe = tmp.resolve("probe");
    Files.newOutputStream(probe).close();

    Cli.Result result = logits(out);

    assertThat(result.status()).as("exit status").isZero();
    assertThat(Files.getPosixFilePermissions(out))
        .as("permissions of the logits file, as of any file created in the folder")
        .isEqualTo(Files.getPosixFilePermissions(probe));
  }

  @Test
  void fileMatchesGoldenLogits() throws IOException {
    GoldenLogits golden =
        GoldenLogits.read(TinyModelCopy.source().resolve("golden"), "story");
    int[] ids = golden.ids();
    String tokens = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    Path out = tmp.resolve("story.bin");

    Cli.Result result =
        Cli.run(
            "logits",
            "--model", TinyModelCopy.source().toString(),
            "--tokens", tokens,
            "--out", out.toString());

    assertThat(result.status()).as("exit status").isZero();
    assertThat(Files.size(out))
        .as("bytes of %d rows of %d float32 logits", ids.length, golden.vocab())
        .isEqualTo(4L * ids.length * golden.vocab());
    float[] written = GoldenLogits.readFloat32(out);
    GoldenLogits.Deviation deviation = golden.compare(written);
    assertThat(deviation.worstExcess()).as(deviation.summary()).isLessThanOrEqualTo(0);
    int[] argmax = golden.argmax();
    for (int row = 0; row < ids.length; row++) {
      float[] logits = Arrays.copyOfRange(written, row * golden.vocab(), (row + 1) * golden.vocab());
      assertThat(LanguageModel.argmax(logits))
          .as("argmax of row %d (%s)", row, deviation.summary())
          .isEqualTo(argmax[row]);
    }
  }

  @Test
  void tokensBeyondContextRejected() {
    Path out = tmp.resolve("long.bin");
    String tokens = String.join(",", Collections.nCopies(513, "1"));

    Cli.Result result =
        Cli.run(
            "logits",
            "--model", TinyModelCopy.source().toString(),
            "--tokens", tokens,
            "--out", out.toString());

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep logits: Invalid --tokens: 513 ids, but max_position_embeddings in "
                + TinyModelCopy.source().resolve("config.json")
                + " is 512; pass at most 512\n");
    assertThat(out).doesNotExist();
  }

  @Test
  void launcherPrintsOnlyItsSummary() throws Exception {
    Path out = tmp.resolve("batch.bin");
    Path output = tmp.resolve("console.txt");
    // 40 tokens reach the matrix-product size at which the engine looks for a native BLAS.
    String tokens = String.join(",", Collections.nCopies(40, "5"));

    Process process =
        ChildJvm.start(
            output,
            "logits",
            "--model", TinyModelCopy.source().toString(),
            "--tokens", tokens,
            "--out", out.toString());

    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("logits finished").isTrue();
    assertThat(process.exitValue()).as("exit status").isZero();
    List<String> lines =
        Files.readAllLines(output).stream()
            .filter(line -> !line.startsWith("WARNING: Using incubator"))
            .toList();
    assertThat(lines)
        .as("console output of bitsweep logits")
        .containsExactly("wrote 40 x 2048 float32 logits to " + out);
  }

  /**
   * logits on a folder written by write-mlx gives, bit for bit, the logits of the fake-quantized
   * checkpoint that the sweep measures for the same configuration.
   */
  @Test
  void mlxFolderGivesMeasuredLogits() throws IOException {
    String json =
        "{\"default\": {\"bits\": 4, \"group_size\": 32}, \"groups\": {\"mlp_up\": \"3/64\"}}";
    Path config = Files.writeString(tmp.resolve("mixed.json"), json);
    Path mlx = tmp.resolve("mlx");
    Path out = tmp.resolve("mlx.bin");
    int[] ids = {1, 17, 300, 42, 9, 1500, 2};
    String tokens = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));

    Cli.Result written =
        Cli.run(
            "write-mlx",
            "--model", TinyModelCopy.source().toString(),
            "--config", config.toString(),
            "--out", mlx.toString());
    Cli.Result result =
        Cli.run("logits", "--model", mlx.toString(), "--tokens", tokens, "--out", out.toString());

    assertThat(written.status()).as("exit status of write-mlx").isZero();
    assertThat(result.status()).as("exit status of logits; stderr:%n%s", result.stderr()).isZero();
    float[] expected;
    try (LanguageModel original = LanguageModel.open(TinyModelCopy.source())) {
      Checkpoint checkpoint = ((CheckpointWeights) original.weights()).checkpoint();
      CandidateFactory factory =
          new CandidateFactory(
              original.config(),
              original.weights(),
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()),
              new FakeQuantCache(64L << 20));
      WeightSource measured = factory.candidate(QuantConfig.parse(json, "test")).weights();
      expected = original.forwardPass().logits(ids, measured);
    }
    assertThat(GoldenLogits.readFloat32(out)).containsExactly(expected);
  }

  private static Cli.Result logits(Path out) {
    return Cli.run(
        "logits",
        "--model", TinyModelCopy.source().toString(),
        "--tokens", "1,2",
        "--out", out.toString());
  }
}
