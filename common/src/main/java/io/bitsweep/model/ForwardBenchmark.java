package io.bitsweep.model;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import io.bitsweep.tensor.Gemm;
import io.bitsweep.tensor.Parallel;
import io.bitsweep.tensor.VectorOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Measures forward-pass throughput: prefill of a batch (embed, every layer, head) and greedy
 * decoding, on the trained tiny Qwen3.5 model and on a random model with Qwen3.5-0.8B layer shapes
 * (4 layers, vocabulary cut to 32768). Prints one aligned line per case.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp <classpath>
 * io.bitsweep.model.ForwardBenchmark [sequence_length] [sequences]} (defaults 256 and 4).
 */
public final class ForwardBenchmark {
  private static final int DECODE_TOKENS = 32;

  private ForwardBenchmark() {}

  public static void main(String[] args) throws IOException {
    int length = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int sequences = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    System.out.printf(
        Locale.ROOT,
        "threads %d, vector API %s, gemm %s, BLAS %s%n",
        Parallel.parallelism(),
        VectorOps.VECTOR_API,
        Gemm.configuredBackend(),
        Gemm.blasImplementation());
    System.out.printf(
        Locale.ROOT, "%-34s %8s %10s %10s%n", "case", "tokens", "seconds", "tokens/s");

    Path tiny = SharedModels.find(SharedModels.QWEN35_TINY);
    if (tiny != null) {
      run("qwen35-tiny-stories", tiny, length, sequences);
    }
    Path generated = Files.createTempDirectory("bitsweep-benchmark");
    try {
      RandomCheckpoints.write(
          qwen35SmallShapes(), generated, 1, RandomCheckpoints.Layout.SINGLE_FILE);
      run("random 0.8B shapes, 4 layers", generated, length, sequences);
    } finally {
      deleteRecursively(generated);
    }
  }

  /** Qwen3.5-0.8B widths with 4 layers [lin, lin, lin, full] and a 32768-token vocabulary. */
  static ObjectNode qwen35SmallShapes() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("model_type", "qwen3_5_text");
    root.put("vocab_size", 32768);
    root.put("hidden_size", 1024);
    root.put("intermediate_size", 3584);
    root.put("num_hidden_layers", 4);
    root.put("full_attention_interval", 4);
    root.put("num_attention_heads", 8);
    root.put("num_key_value_heads", 2);
    root.put("head_dim", 256);
    root.put("linear_num_key_heads", 16);
    root.put("linear_num_value_heads", 16);
    root.put("linear_key_head_dim", 128);
    root.put("linear_value_head_dim", 128);
    root.put("linear_conv_kernel_dim", 4);
    root.put("rms_norm_eps", 1e-6);
    root.put("rope_theta", 10_000_000.0);
    root.put("partial_rotary_factor", 0.25);
    root.put("tie_word_embeddings", true);
    return root;
  }

  private static void run(String name, Path folder, int length, int sequences) {
    try (LanguageModel model = LanguageModel.open(folder)) {
      List<int[]> batch = randomBatch(model.config().vocabSize(), length, sequences);
      prefill(model, batch); // warm-up: JIT compilation and page cache
      long start = System.nanoTime();
      prefill(model, batch);
      report(name + " prefill", length * sequences, System.nanoTime() - start);

      DecodeSession session = model.newSession();
      session.appendAndPredict(batch.get(0));
      start = System.nanoTime();
      int next = 1;
      for (int i = 0; i < DECODE_TOKENS; i++) {
        next = LanguageModel.argmax(session.appendAndPredict(new int[] {next}));
      }
      report(name + " decode", DECODE_TOKENS, System.nanoTime() - start);
    }
  }

  private static void prefill(LanguageModel model, List<int[]> batch) {
    ForwardPass pass = model.forwardPass();
    HiddenStates h = pass.embed(batch, model.weights());
    pass.layers(h, model.weights());
    float[] checksum = new float[1];
    pass.head(h, model.weights(), (s, p, logits, offset) -> checksum[0] += logits[offset]);
    if (!Float.isFinite(checksum[0])) {
      throw new IllegalStateException("Benchmark produced non-finite logits");
    }
  }

  private static void report(String name, int tokens, long nanos) {
    double seconds = nanos / 1e9;
    System.out.printf(
        Locale.ROOT, "%-34s %8d %10.3f %10.1f%n", name, tokens, seconds, tokens / seconds);
  }

  private static List<int[]> randomBatch(int vocab, int length, int sequences) {
    SplittableRandom random = new SplittableRandom(7);
    List<int[]> batch = new ArrayList<>();
    for (int s = 0; s < sequences; s++) {
      batch.add(random.ints(length, 0, vocab).toArray());
    }
    return batch;
  }

  private static void deleteRecursively(Path folder) throws IOException {
    try (Stream<Path> paths = Files.walk(folder)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
