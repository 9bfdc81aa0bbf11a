package io.bitsweep.model;

import io.bitsweep.tensor.Gemm;
import io.bitsweep.tensor.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times one whole-sequence forward pass (embedding, every layer, logits of every position) over a
 * batch of random token ids, the same measurement {@code scripts/bench/torch_qwen35.py bench} makes
 * for PyTorch, and prints one JSON line. The median of the timed repeats is reported.
 *
 * <p>Usage: {@code ForwardThroughput MODEL_DIR BATCH SEQ_LEN [WARMUP] [REPEAT]}.
 */
public final class ForwardThroughput {
  private ForwardThroughput() {}

  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: ForwardThroughput MODEL_DIR BATCH SEQ_LEN [WARMUP] [REPEAT]");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    int batch = Integer.parseInt(args[1]);
    int length = Integer.parseInt(args[2]);
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    int repeat = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    try (LanguageModel lm = LanguageModel.open(model)) {
      List<int[]> sequences = randomIds(batch, length, lm.config().vocabSize());
      ForwardPass forward = lm.forwardPass();
      double[] seconds = new double[repeat];
      for (int i = -warmup; i < repeat; i++) {
        long start = System.nanoTime();
        HiddenStates h = forward.embed(sequences, lm.weights());
        forward.layers(h, lm.weights());
        double[] checksum = {0};
        forward.head(h, lm.weights(), (s, p, logits, offset) -> checksum[0] += logits[offset]);
        if (i >= 0) {
          seconds[i] = (System.nanoTime() - start) / 1e9;
        }
      }
      Arrays.sort(seconds);
      double median = seconds[repeat / 2];
      System.out.printf(
          Locale.ROOT,
          "{\"engine\": \"bitsweep-java\", \"model\": \"%s\", \"batch\": %d, \"seq_len\": %d,"
              + " \"threads\": %d, \"gemm\": \"%s\", \"seconds\": %.4f, \"seconds_min\": %.4f,"
              + " \"tokens_per_s\": %.1f}%n",
          model,
          batch,
          length,
          Parallel.parallelism(),
          Gemm.configuredBackend() + "/" + Gemm.blasImplementation(),
          median,
          seconds[0],
          batch * length / median);
    }
  }

  private static List<int[]> randomIds(int batch, int length, int vocab) {
    SplittableRandom random = new SplittableRandom(1234);
    List<int[]> out = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      int[] ids = new int[length];
      for (int t = 0; t < length; t++) {
        ids[t] = random.nextInt(vocab);
      }
      out.add(ids);
    }
    return out;
  }
}
