package io.bitsweep.eval;

import io.bitsweep.SharedModels;
import io.bitsweep.calibration.CalibrationLoader;
import io.bitsweep.calibration.ShardedSample;
import io.bitsweep.calibration.TokenizedSample;
import io.bitsweep.kld.CompactKldError;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures each compact reference form's error in mean KLD and its bytes per token: on the tiny
 * Qwen3.5 model's logits over the default calibration mix (bf16 against uniform 4-bit and 3-bit
 * fake quantization, group size 64), and on synthetic rows over a 248,320-token vocabulary built by
 * {@link SyntheticVocabRows} from the same bf16 rows, with independent Gaussian logit noise whose
 * standard deviation matches the tiny model's quantization noise.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp <classpath>
 * io.bitsweep.eval.ReferenceStorageBenchmark [positions] [synthetic_rows]} (defaults 4000 and 400),
 * run from inside the repository.
 */
public final class ReferenceStorageBenchmark {
  /** The vocabulary of the extrapolation, that of the large Qwen3.5 models. */
  static final int LARGE_VOCAB = 248_320;

  private static final int SEQUENCES_PER_BATCH = 8;
  private static final int SYNTHETIC_BATCH_ROWS = 8;
  private static final long SEED = 20_240_601L;

  private static final List<ReferenceEncoding> FORMS =
      List.of(
          ReferenceEncoding.topK(32),
          ReferenceEncoding.topK(128),
          ReferenceEncoding.topK(256),
          ReferenceEncoding.sampledTail(16, 16),
          ReferenceEncoding.sampledTail(32, 32),
          ReferenceEncoding.sampledTail(64, 64),
          ReferenceEncoding.sampledTail(8, 120),
          ReferenceEncoding.sampledTail(32, 96),
          ReferenceEncoding.sampledTail(128, 64),
          ReferenceEncoding.sampledTail(64, 128),
          ReferenceEncoding.sampledTail(32, 160),
          ReferenceEncoding.sampledTail(128, 120),
          ReferenceEncoding.sampledTail(64, 184),
          ReferenceEncoding.sampledTail(32, 216));

  private static final List<QuantSetting> SETTINGS =
      List.of(QuantSetting.affine(4, 64), QuantSetting.affine(3, 64));

  private ReferenceStorageBenchmark() {}

  public static void main(String[] args) {
    int positions = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    int syntheticRows = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    Path modelDir = SharedModels.require(SharedModels.QWEN35_TINY);
    Path mix = SharedModels.repositoryRoot().resolve("conf/calibration");
    RealLogits logits = realLogits(modelDir, mix, positions);
    float[] reference = logits.reference();
    int vocab = logits.vocab();
    for (int s = 0; s < SETTINGS.size(); s++) {
      float[] quantized = logits.quantized().get(s);
      String title =
          String.format(
              Locale.ROOT,
              "tiny Qwen3.5 (vocab %d), %s against bf16, %d positions of the default mix",
              vocab,
              SETTINGS.get(s),
              reference.length / vocab);
      long start = System.nanoTime();
      print(title, CompactKldError.measure(reference, quantized, vocab, FORMS), start);
    }
    for (int s = 0; s < SETTINGS.size(); s++) {
      double sigma = noiseSigma(reference, logits.quantized().get(s), vocab);
      String title =
          String.format(
              Locale.ROOT,
              "synthetic vocab %d, head of the tiny model's rows, noise sigma %.3f (as %s),"
                  + " %d rows",
              LARGE_VOCAB,
              sigma,
              SETTINGS.get(s),
              syntheticRows);
      long start = System.nanoTime();
      print(title, synthetic(reference, vocab, sigma, syntheticRows), start);
    }
  }

  /**
   * Logits of the tiny model at the same positions, each [positions, vocab] row-major.
   *
   * @param vocab the vocabulary size
   * @param reference the bf16 model's logits
   * @param quantized the logits of each setting of {@link #SETTINGS}, in order
   */
  record RealLogits(int vocab, float[] reference, List<float[]> quantized) {}

  /** Returns the logits at scored positions spread evenly over the calibration mix. */
  static RealLogits realLogits(Path modelDir, Path mix, int positions) {
    List<TokenizedSample> samples = new ArrayList<>();
    for (ShardedSample sample :
        CalibrationLoader.builder().model(modelDir).inputs(List.of(mix)).load().samples()) {
      samples.add(sample.sample());
    }
    List<int[]> rows = spreadRows(samples, positions);
    try (LanguageModel model = LanguageModel.open(modelDir)) {
      Checkpoint checkpoint = ((CheckpointWeights) model.weights()).checkpoint();
      CandidateFactory factory =
          new CandidateFactory(
              model.config(),
              model.weights(),
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()),
              new FakeQuantCache(256L << 20));
      float[] reference = logitsAt(model.forwardPass(), samples, rows, model.weights());
      List<float[]> quantized = new ArrayList<>();
      for (QuantSetting setting : SETTINGS) {
        WeightSource weights = factory.candidate(QuantConfig.uniform(setting)).weights();
        quantized.add(logitsAt(model.forwardPass(), samples, rows, weights));
      }
      return new RealLogits(model.config().vocabSize(), reference, quantized);
    }
  }

  /** Picks every n-th scored position of the mix so that at most {@code limit} are taken. */
  private static List<int[]> spreadRows(List<TokenizedSample> samples, int limit) {
    long scored = 0;
    for (TokenizedSample sample : samples) {
      scored += sample.scoredCount();
    }
    long stride = Math.max(1, (scored + limit - 1) / limit);
    List<int[]> rows = new ArrayList<>();
    long seen = 0;
    for (TokenizedSample sample : samples) {
      List<Integer> picked = new ArrayList<>();
      for (int p = 0; p < sample.length(); p++) {
        if (sample.scoreMask()[p] && seen++ % stride == 0) {
          picked.add(p);
        }
      }
      rows.add(picked.stream().mapToInt(Integer::intValue).toArray());
    }
    return rows;
  }

  private static float[] logitsAt(
      ForwardPass forward, List<TokenizedSample> samples, List<int[]> rows, WeightSource weights) {
    int vocab = forward.config().vocabSize();
    int total = rows.stream().mapToInt(r -> r.length).sum();
    float[] out = new float[total * vocab];
    int[] next = {0};
    for (int first = 0; first < samples.size(); first += SEQUENCES_PER_BATCH) {
      int end = Math.min(samples.size(), first + SEQUENCES_PER_BATCH);
      List<int[]> sequences = new ArrayList<>();
      List<Integer> batchRows = new ArrayList<>();
      int start = 0;
      for (int s = first; s < end; s++) {
        sequences.add(samples.get(s).tokenIds());
        for (int p : rows.get(s)) {
          batchRows.add(start + p);
        }
        start += samples.get(s).length();
      }
      HiddenStates h = forward.embed(sequences, weights);
      forward.layers(h, weights);
      forward.head(
          h,
          batchRows.stream().mapToInt(Integer::intValue).toArray(),
          weights,
          (sequence, position, logits, offset) ->
              System.arraycopy(logits, offset, out, vocab * next[0]++, vocab));
    }
    return out;
  }

  /**
   * Returns the root mean square, over rows, of the standard deviation of the logit change q - p
   * across a row's tokens: the scale of the quantization noise that independent Gaussian noise
   * reproduces in the synthetic rows.
   */
  static double noiseSigma(float[] reference, float[] quantized, int vocab) {
    int rows = reference.length / vocab;
    double variance = 0;
    for (int row = 0; row < rows; row++) {
      double sum = 0;
      double squares = 0;
      for (int i = row * vocab; i < (row + 1) * vocab; i++) {
        double change = quantized[i] - reference[i];
        sum += change;
        squares += change * change;
      }
      double mean = sum / vocab;
      variance += squares / vocab - mean * mean;
    }
    return Math.sqrt(variance / rows);
  }

  private static List<CompactKldError.Row> synthetic(
      float[] source, int sourceVocab, double sigma, int rows) {
    SyntheticVocabRows generator = new SyntheticVocabRows(source, sourceVocab, LARGE_VOCAB, SEED);
    List<List<CompactKldError.Row>> batches = new ArrayList<>();
    for (int done = 0; done < rows; done += SYNTHETIC_BATCH_ROWS) {
      int n = Math.min(SYNTHETIC_BATCH_ROWS, rows - done);
      float[] reference = new float[n * LARGE_VOCAB];
      float[] quantized = new float[n * LARGE_VOCAB];
      for (int r = 0; r < n; r++) {
        generator.next(reference, quantized, r * LARGE_VOCAB, sigma);
      }
      batches.add(CompactKldError.measure(reference, quantized, LARGE_VOCAB, FORMS));
    }
    return combine(batches);
  }

  /** Combines per-batch rows of the same forms into one row per form, weighting by positions. */
  static List<CompactKldError.Row> combine(List<List<CompactKldError.Row>> batches) {
    List<CompactKldError.Row> combined = new ArrayList<>();
    for (int j = 0; j < batches.get(0).size(); j++) {
      int positions = 0;
      double compact = 0;
      double full = 0;
      double squares = 0;
      double maxGap = 0;
      for (List<CompactKldError.Row> batch : batches) {
        CompactKldError.Row row = batch.get(j);
        positions += row.positions();
        compact += row.meanCompactKld() * row.positions();
        full += row.meanFullKld() * row.positions();
        squares += row.rmsPositionError() * row.rmsPositionError() * row.positions();
        maxGap = Math.max(maxGap, row.maxPositionGap());
      }
      CompactKldError.Row first = batches.get(0).get(j);
      combined.add(
          new CompactKldError.Row(
              first.encoding(),
              first.bytesPerPosition(),
              positions,
              compact / positions,
              full / positions,
              full == 0 ? 0 : (full - compact) / full,
              maxGap,
              Math.sqrt(squares / positions)));
    }
    return combined;
  }

  private static void print(String title, List<CompactKldError.Row> rows, long startNanos) {
    System.out.println(title);
    System.out.printf(
        Locale.ROOT,
        "%-32s %8s %12s %12s %10s %10s %12s%n",
        "form",
        "B/token",
        "mean KLD",
        "full KLD",
        "rel. error",
        "+- 2 s.e.",
        "rms/position");
    for (CompactKldError.Row row : rows) {
      // The spread of the per-position error around its mean gives the mean's standard error.
      double bias = row.meanCompactKld() - row.meanFullKld();
      double spread = Math.sqrt(Math.max(0, square(row.rmsPositionError()) - square(bias)));
      double standardError = spread / Math.sqrt(row.positions());
      System.out.printf(
          Locale.ROOT,
          "%-32s %8d %12.6f %12.6f %9.2f%% %9.2f%% %11.1f%%%n",
          row.encoding().describe(),
          row.bytesPerPosition(),
          row.meanCompactKld(),
          row.meanFullKld(),
          -100 * row.relativeError(),
          200 * standardError / row.meanFullKld(),
          100 * row.rmsPositionError() / row.meanFullKld());
    }
    System.out.printf(Locale.ROOT, "(%.0f s)%n%n", (System.nanoTime() - startNanos) * 1e-9);
  }

  private static double square(double value) {
    return value * value;
  }
}
