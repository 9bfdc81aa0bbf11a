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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Measures, instead of assuming, how far the compact reference forms move the mean KLD: on the
 * first shard's scored positions (at most {@link #MAX_POSITIONS}), it compares uniform 4-bit logits
 * with the full bf16 distributions, with their plain top-k forms (lower bounds) and with the
 * sampled-tail form.
 */
final class CompactFormCheck {
  /** Positions measured at most. */
  static final int MAX_POSITIONS = 512;

  /** Logits kept per model, bounding driver memory (64 MiB per array). */
  static final int MAX_LOGITS = 16 << 20;

  private CompactFormCheck() {}

  /** Runs the measurement for the forms of {@link #formsToMeasure}; returns the report text. */
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
    List<CompactKldError.Row> errors =
        CompactKldError.measure(reference, quantized, vocab, formsToMeasure(encoding, vocab));
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "compact reference forms vs full distributions, uniform 4/64 against bf16, %d positions of shard 0%n"
                + "rel. error = (mean KLD compact - mean KLD full) / mean KLD full; top-k forms are lower bounds%n",
            rows.length));
    out.append(
        String.format(
            Locale.ROOT,
            "%-30s %12s %16s %14s %11s %13s%n",
            "form",
            "bytes/token",
            "mean KLD compact",
            "mean KLD full",
            "rel. error",
            "rms/position"));
    for (CompactKldError.Row row : errors) {
      out.append(
          String.format(
              Locale.ROOT,
              "%-30s %12d %16.6f %14.6f %10.2f%% %12.1f%%%n",
              row.encoding().describe(),
              row.bytesPerPosition(),
              row.meanCompactKld(),
              row.meanFullKld(),
              -100 * row.relativeError(),
              row.meanFullKld() == 0 ? 0 : 100 * row.rmsPositionError() / row.meanFullKld()));
    }
    return out.toString();
  }

  /** Plain top-k sizes around the configured one, the configured form and the default form. */
  private static List<ReferenceEncoding> formsToMeasure(ReferenceEncoding encoding, int vocab) {
    int k = encoding.form() == ReferenceEncoding.Form.FULL ? ReferenceEncoding.DEFAULT_TOP_K : encoding.topK();
    Set<ReferenceEncoding> forms = new LinkedHashSet<>();
    for (int size : new int[] {8, 32, k, 128, 512}) {
      forms.add(ReferenceEncoding.topK(Math.min(size, vocab)));
    }
    if (encoding.form() == ReferenceEncoding.Form.SAMPLED_TAIL) {
      forms.add(encoding);
    }
    ReferenceEncoding standard = ReferenceEncoding.defaultEncoding();
    if (standard.topK() < vocab) {
      forms.add(standard);
    }
    return new ArrayList<>(forms);
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
