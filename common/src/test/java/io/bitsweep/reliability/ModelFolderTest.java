package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.CheckpointException;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Symbolic links in a model folder. Links that stay inside the folder, and the links of a Hugging
 * Face hub cache snapshot, are followed. Links to anything else are rejected before the file is
 * read or copied.
 */
class ModelFolderTest {
  @TempDir Path tmp;

  @Test
  void linkInsideFolderIsFollowed() throws IOException {
    Path model = Files.createDirectories(tmp.resolve("model"));
    writeWeights(Files.createDirectories(model.resolve("weights")).resolve("w.safetensors"));
    Files.createSymbolicLink(model.resolve(Checkpoint.SINGLE_FILE), Path.of("weights/w.safetensors"));

    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      assertThat(checkpoint.tensors()).containsOnlyKeys("w");
    }
  }

  @Test
  void hubCacheSnapshotIsFollowed() throws IOException {
    Path repo = tmp.resolve("models--org--tiny");
    Path blob = Files.createDirectories(repo.resolve("blobs")).resolve("5f0a9e");
    writeWeights(blob);
    Path snapshot = Files.createDirectories(repo.resolve("snapshots/0123abcd"));
    Files.createSymbolicLink(snapshot.resolve(Checkpoint.SINGLE_FILE), Path.of("../../blobs/5f0a9e"));

    try (Checkpoint checkpoint = Checkpoint.open(snapshot)) {
      assertThat(checkpoint.tensors()).containsOnlyKeys("w");
    }
  }

  @Test
  void linkOutsideFolderIsRejected() throws IOException {
    Path model = Files.createDirectories(tmp.resolve("model"));
    Path outside = tmp.resolve("outside.safetensors");
    writeWeights(outside);
    Files.createSymbolicLink(model.resolve(Checkpoint.SINGLE_FILE), outside);

    assertThatThrownBy(() -> Checkpoint.open(model))
        .isInstanceOf(CheckpointException.class)
        .hasMessage(
            "Cannot read " + model.resolve(Checkpoint.SINGLE_FILE) + ": it is a symbolic link to "
                + outside.toRealPath() + ", outside the model folder " + model.toRealPath()
                + "; links may point only inside the folder (or into the blobs folder of a Hugging"
                + " Face hub cache), so copy the file into the folder");
  }

  @Test
  void writerDoesNotCopyLinkedSecret() throws IOException {
    Path model = Files.createDirectories(tmp.resolve("model"));
    try (Stream<Path> files = Files.list(SharedModels.require(SharedModels.QWEN35_TINY))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.copy(file, model.resolve(file.getFileName()));
      }
    }
    Path secret = Files.writeString(tmp.resolve("credentials"), "aws_secret_access_key = x\n");
    Files.createSymbolicLink(model.resolve("notes.txt"), secret);
    Path out = tmp.resolve("mlx");

    assertThatThrownBy(
            () ->
                MlxWriter.write(
                    model,
                    QuantConfig.parse("{\"default\": 4}", "config.json"),
                    out,
                    MlxWriter.Options.defaults()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageStartingWith(
            "Cannot read " + model.resolve("notes.txt") + ": it is a symbolic link to "
                + secret.toRealPath() + ", outside the model folder");
    assertThat(out).doesNotExist();
    assertThat(tmp.toFile().list())
        .as("entries of %s: no temporary folder left", tmp)
        .containsExactlyInAnyOrder("model", "credentials");
  }

  private static void writeWeights(Path file) throws IOException {
    SafetensorsWriter writer = new SafetensorsWriter(Map.of());
    writer.addFloats("w", DType.BF16, new long[] {2}, new float[] {1, 2});
    writer.write(file);
  }
}
