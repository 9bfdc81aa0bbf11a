package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.model.RandomCheckpoints;
import io.bitsweep.model.RandomCheckpoints.Layout;
import io.bitsweep.model.RandomCheckpoints.Variant;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint with tensors that config.json does not use loads with one console warning, which
 * names the unknown tensors but not the vision tower and multi-token-prediction ones.
 */
class UnusedTensorWarningTest {
  /** Tensors beside the text model, with shapes unrelated to it. */
  private static final Map<String, long[]> EXTRA =
      Map.of(
          "model.visual.blocks.0.attn.qkv.weight", new long[] {48, 16},
          "mtp.fc.weight", new long[] {64, 128},
          "model.language_model.layers.0.extra.weight", new long[] {5, 3});

  @TempDir Path tmp;

  @Test
  void warningCountsOnlyUnknownTensors() throws IOException, InterruptedException {
    Path model = writeCheckpoint(tmp.resolve("model"));
    Path console = tmp.resolve("console.txt");

    Process child =
        ChildJvm.start(
            console,
            "logits",
            "--model", model.toString(),
            "--tokens", "1,2",
            "--out", tmp.resolve("logits.bin").toString());
    boolean exited = child.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      child.destroyForcibly().waitFor();
    }

    String output = Files.readString(console);
    assertThat(exited).as("child exited within 60 s; output:%n%s", output).isTrue();
    assertThat(child.exitValue()).as("exit status; output:%n%s", output).isZero();
    assertThat(output)
        .as("console output")
        .contains(
            "Ignoring 1 tensor of checkpoint "
                + model
                + ", which config.json does not use:"
                + " model.language_model.layers.0.extra.weight\n");
    assertThat(output.split("does not use", -1)).as("warnings printed").hasSize(2);
  }

  /** Writes a random Qwen3.5 checkpoint with the {@link #EXTRA} tensors added. */
  private static Path writeCheckpoint(Path folder) throws IOException {
    Path base =
        RandomCheckpoints.write(
            RandomCheckpoints.config(Variant.QWEN3_5_DENSE),
            folder.resolveSibling("base"),
            2,
            Layout.SINGLE_FILE);
    Files.createDirectories(folder);
    Files.copy(base.resolve("config.json"), folder.resolve("config.json"));
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    try (Checkpoint checkpoint = Checkpoint.open(base)) {
      for (TensorInfo info : checkpoint.tensors().values()) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(info.byteLength()));
        checkpoint.readBytes(info.name(), 0, bytes);
        bytes.flip();
        writer.add(info.name(), info.dtype(), info.shape(), bytes);
      }
    }
    for (Map.Entry<String, long[]> tensor : EXTRA.entrySet()) {
      float[] zeros = new float[Math.toIntExact(TensorInfo.elementCount(tensor.getValue()))];
      writer.addFloats(tensor.getKey(), DType.BF16, tensor.getValue(), zeros);
    }
    writer.write(folder.resolve(Checkpoint.SINGLE_FILE));
    return folder;
  }
}
