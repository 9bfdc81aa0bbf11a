package io.bitsweep.jobs;

import io.bitsweep.eval.CandidateFactory;
import io.bitsweep.eval.ShardSample;
import io.bitsweep.kld.CompactKldError;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantSetting;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures, instead of assuming, how much the compact top-k reference form underestimates mean
 * KLD: on the first shard's scored positions (at most {@link #MAX_POSITIONS}), it compares uniform
 * 4-bit logits with the full bf16 distributions and with their top-k forms.
 */
final class CompactFormCheck {
  /** Positions measured at most. */
  static final int MAX_POSITIONS = 512;

  /** Logits kept per model, bounding driver memory (64 MiB per array). */
  static final int MAX_LOGITS = 16 << 20;

  private CompactFormCheck() {}

  /** Runs the measurement for top-k sizes around the configured one; returns the report text. */
  static String measure(ModelRef model, List<SamplePayload> shard, ReferenceEncoding encoding) {
    LanguageModel engine = ModelCache.get(model);
    List<ShardSample> samples = new ArrayList<>();
    for (SamplePayload payload : shard) {
      samples.add(payload.toShardSample());
    }
    int vocab = engine.config().vocabSize();
    int limit = Math.max(16, Math.min(MAX_POSITIONS, MAX_LOGITS / vocab));
    int[] rows = scoredRows(samples, limit);
    WeightSource fourBit =
        SweepTaskRunner.factory(model, List.of()).candidate(QuantConfig.uniform(QuantSetting.affine(4, 64))).weights();
    float[] reference = logitsAt(engine.forwardPass(), samples, rows, engine.weights());
    float[] quantized = logitsAt(engine.forwardPass(), samples, rows, fourBit);
    int k = encoding.form() == ReferenceEncoding.Form.FULL ? ReferenceEncoding.DEFAULT_TOP_K : encoding.topK();
    List<CompactKldError.Row> errors =
        CompactKldError.measure(reference, quantized, vocab, 8, 16, k, 128, Math.min(512, vocab));
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "compact reference form vs full distributions, uniform 4/64 against bf16, %d positions of shard 0%n",
            rows.length));
    out.append(String.format(Locale.ROOT, "%6s %14s %14s %14s %12s%n", "top-k", "bytes/token", "mean KLD top-k", "mean KLD full", "rel. error"));
    for (CompactKldError.Row row : errors) {
      out.append(
          String.format(
              Locale.ROOT,
              "%6d %14d %14.6f %14.6f %11.2f%%%n",
              row.topK(),
              row.bytesPerPosition(),
              row.meanCompactKld(),
              row.meanFullKld(),
              100 * row.relativeError()));
    }
    return out.toString();
  }

  private static int[] scoredRows(List<ShardSample> samples, int limit) {
    List<Integer> rows = new ArrayList<>();
    int start = 0;
    for (ShardSample sample : samples) {
      for (int p = 0; p < sample.tokenIds().length && rows.size() < limit; p++) {
        if (sample.isScored(p)) {
          rows.add(start + p);
        }
      }
      start += sample.tokenIds().length;
    }
    return rows.stream().mapToInt(Integer::intValue).toArray();
  }

  private static float[] logitsAt(ForwardPass forward, List<ShardSample> samples, int[] rows, WeightSource weights) {
    List<int[]> sequences = new ArrayList<>();
    samples.forEach(s -> sequences.add(s.tokenIds()));
    HiddenStates h = forward.embed(sequences, weights);
    forward.layers(h, weights);
    int vocab = forward.config().vocabSize();
    float[] out = new float[rows.length * vocab];
    int[] next = {0};
    forward.head(
        h,
        rows,
        weights,
        (sequence, position, logits, offset) -> {
          System.arraycopy(logits, offset, out, next[0] * vocab, vocab);
          next[0]++;
        });
    return out;
  }
}
