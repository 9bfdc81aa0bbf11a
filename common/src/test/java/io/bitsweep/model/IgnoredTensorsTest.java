package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensors that config.json does not imply: vision tower ({@code model.visual.*}) and
 * multi-token-prediction ({@code mtp.*}) weights of the multimodal checkpoints, and unknown names.
 * Opening such a checkpoint succeeds and gives the logits of the same checkpoint without them.
 */
class IgnoredTensorsTest {
  @TempDir Path dir;

  private Path base;
  private float[] baseLogits;
  private int[] tokens;

  @BeforeEach
  void writeBase() throws IOException {
    base =
        RandomCheckpoints.write(
            RandomCheckpoints.config(Variant.QWEN3_5_DENSE),
            dir.resolve("base"),
            21,
            Layout.SINGLE_FILE);
    try (LanguageModel model = LanguageModel.open(base)) {
      tokens = RandomArchitecturesTest.randomTokens(new Random(4), 13, model.config().vocabSize());
      baseLogits = model.logits(tokens);
    }
  }

  @Test
  void visualAndMtpTensorsIgnored() throws IOException {
    Map<String, long[]> extra = new LinkedHashMap<>();
    extra.put("model.visual.blocks.0.attn.qkv.weight", new long[] {48, 16});
    extra.put("model.visual.patch_embed.proj.weight", new long[] {16, 3, 2, 4, 4});
    extra.put("model.visual.merger.norm.weight", new long[] {7});
    extra.put("mtp.fc.weight", new long[] {64, 128});
    extra.put("mtp.layers.0.mlp.experts.gate_up_proj", new long[] {3, 10, 64});
    Path folder = withExtraTensors(extra, dir.resolve("with-visual-and-mtp"));

    assertLogitsOfBase(folder, extra);
  }

  /**
   * A name that is neither a vision nor an MTP tensor does not fail opening either. {@code
   * ExpectedTensors} logs a warning that counts such tensors, which {@code UnusedTensorWarningTest}
   * in the jobs module checks.
   */
  @Test
  void unknownTensorAccepted() throws IOException {
    Map<String, long[]> extra =
        Map.of("model.language_model.layers.0.extra.weight", new long[] {5, 3});
    Path folder = withExtraTensors(extra, dir.resolve("with-unknown"));

    assertLogitsOfBase(folder, extra);
  }

  private void assertLogitsOfBase(Path folder, Map<String, long[]> extra) {
    try (LanguageModel model = LanguageModel.open(folder);
        Checkpoint checkpoint = Checkpoint.open(folder)) {
      for (Map.Entry<String, long[]> tensor : extra.entrySet()) {
        assertThat(checkpoint.contains(tensor.getKey()))
            .as("fixture contains %s", tensor.getKey())
            .isTrue();
        assertThat(checkpoint.info(tensor.getKey()).shape())
            .as("shape of %s", tensor.getKey())
            .containsExactly(tensor.getValue());
      }
      assertThat(model.logits(tokens))
          .as("logits with %s", extra.keySet())
          .containsExactly(baseLogits);
    }
  }

  /**
   * Copies the base checkpoint into {@code target}, adding random BF16 tensors of the given names
   * and shapes to its {@code model.safetensors}.
   */
  private Path withExtraTensors(Map<String, long[]> extra, Path target) throws IOException {
    Files.createDirectories(target);
    Files.copy(base.resolve("config.json"), target.resolve("config.json"));
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    try (Checkpoint checkpoint = Checkpoint.open(base)) {
      for (TensorInfo info : checkpoint.tensors().values()) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(info.byteLength()));
        checkpoint.readBytes(info.name(), 0, bytes);
        bytes.flip();
        writer.add(info.name(), info.dtype(), info.shape(), bytes);
      }
    }
    Random random = new Random(6);
    for (Map.Entry<String, long[]> tensor : extra.entrySet()) {
      float[] values = new float[Math.toIntExact(TensorInfo.elementCount(tensor.getValue()))];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextGaussian();
      }
      writer.addFloats(tensor.getKey(), DType.BF16, tensor.getValue(), values);
    }
    writer.write(target.resolve(Checkpoint.SINGLE_FILE));
    return target;
  }
}
