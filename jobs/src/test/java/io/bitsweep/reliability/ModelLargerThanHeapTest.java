package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.model.GoldenLogits;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.RandomCheckpoints;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bitsweep logits} on a checkpoint more than twice as large as the JVM heap. The reader maps
 * the safetensors files instead of loading them, and the forward pass converts to fp32 only the
 * matrices of the current step and the head in row chunks, so only those have to fit in the heap.
 */
class ModelLargerThanHeapTest {
  /** Max heap of the child JVM, in MiB. */
  private static final int HEAP_MIB = 64;

  /**
   * Max |child − this JVM| of a logit: a margin for rounding in case the two JVMs compile the
   * kernels differently. The logits have been bit-identical so far.
   */
  private static final double TOLERANCE = 1e-4;

  /**
   * JVM options of the child. {@link ChildJvm} stops at the C1 compiler to start faster, but
   * without C2 every Vector API operation allocates. In a 64 MiB heap on a 2-core machine, the
   * child then took about 24 s, mostly in garbage collection, instead of about 3 s.
   */
  private static final List<String> CHILD_JVM_OPTIONS =
      List.of("-Xmx" + HEAP_MIB + "m", "-XX:TieredStopAtLevel=4");

  @TempDir Path tmp;

  @Test
  void logitsOfModelLargerThanHeap() throws IOException, InterruptedException {
    Path model =
        RandomCheckpoints.write(
            largeConfig(), tmp.resolve("model"), 3, RandomCheckpoints.Layout.SINGLE_FILE);
    long modelBytes = Files.size(model.resolve(Checkpoint.SINGLE_FILE));
    assertThat(modelBytes)
        .as("bytes of the checkpoint, which must exceed the child's %d MiB heap", HEAP_MIB)
        .isGreaterThan(2L * HEAP_MIB * 1024 * 1024);
    int[] tokens = {1, 517, 20_000, 9, 65_535, 4_096};
    String tokenList =
        Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(","));
    Path out = tmp.resolve("logits.bin");
    Path console = tmp.resolve("console.txt");

    Process child =
        ChildJvm.start(
            console,
            CHILD_JVM_OPTIONS,
            "logits",
            "--model", model.toString(),
            "--tokens", tokenList,
            "--out", out.toString());
    boolean exited = child.waitFor(120, TimeUnit.SECONDS);
    if (!exited) {
      child.destroyForcibly().waitFor();
    }

    String output = Files.readString(console);
    assertThat(exited).as("child exited within 120 s; output:%n%s", output).isTrue();
    assertThat(child.exitValue()).as("exit status; output:%n%s", output).isZero();
    float[] written = GoldenLogits.readFloat32(out);
    float[] expected;
    try (LanguageModel lm = LanguageModel.open(model)) {
      expected = lm.logits(tokens);
    }
    assertThat(written).as("logits written by the child").hasSameSizeAs(expected);
    double maxDiff = 0;
    for (int i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(written[i] - expected[i]));
    }
    assertThat(maxDiff)
        .as("max |child - this JVM| of %d logits", expected.length)
        .isLessThanOrEqualTo(TOLERANCE);
  }

  /**
   * Six Qwen3.5 layers (four DeltaNet, two attention) of width 768 and a tied 65536-token
   * embedding: 156 MB of BF16 weights. The head is read in row chunks, and the largest matrices
   * read whole (the three MLP matrices of a layer) take 9 MiB as fp32.
   */
  private static ObjectNode largeConfig() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("model_type", "qwen3_5_text");
    root.put("vocab_size", 65536);
    root.put("hidden_size", 768);
    root.put("intermediate_size", 1024);
    root.put("num_hidden_layers", 6);
    root.put("full_attention_interval", 3);
    root.put("num_attention_heads", 8);
    root.put("num_key_value_heads", 2);
    root.put("head_dim", 128);
    root.put("linear_num_key_heads", 8);
    root.put("linear_num_value_heads", 8);
    root.put("linear_key_head_dim", 64);
    root.put("linear_value_head_dim", 64);
    root.put("linear_conv_kernel_dim", 4);
    root.put("rms_norm_eps", 1e-6);
    root.put("rope_theta", 10_000_000.0);
    root.put("partial_rotary_factor", 0.25);
    root.put("tie_word_embeddings", true);
    return root;
  }
}
