package io.bitsweep.eval;

import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the unquantized model over a shard and keeps, at every scored position, the next-token
 * distribution in the requested form. The sweep later compares each configuration against these.
 *
 * <p>The shard is processed as one batch, exactly as {@link PrefixTreeEvaluator} processes it, so
 * an all-bf16 configuration reproduces the reference logits bit for bit and scores a KLD of 0.
 */
public final class ReferenceRunner {
  private final ForwardPass forward;

  public ReferenceRunner(ForwardPass forward) {
    this.forward = forward;
  }

  /**
   * Returns, for each sample, an array over its positions holding the reference at scored
   * positions and null elsewhere.
   */
  public List<ReferencePosition[]> run(
      List<ShardSample> samples, WeightSource weights, ReferenceEncoding encoding) {
    List<int[]> sequences = new ArrayList<>();
    List<ReferencePosition[]> out = new ArrayList<>();
    List<Integer> rows = new ArrayList<>();
    int start = 0;
    for (ShardSample sample : samples) {
      sequences.add(sample.tokenIds());
      out.add(new ReferencePosition[sample.tokenIds().length]);
      for (int p = 0; p < sample.tokenIds().length; p++) {
        if (sample.isScored(p)) {
          rows.add(start + p);
        }
      }
      start += sample.tokenIds().length;
    }
    HiddenStates h = forward.embed(sequences, weights);
    forward.layers(h, weights);
    int vocab = forward.config().vocabSize();
    forward.head(
        h,
        rows.stream().mapToInt(Integer::intValue).toArray(),
        weights,
        (sequence, position, logits, offset) -> {
          int target = samples.get(sequence).tokenIds()[position + 1];
          out.get(sequence)[position] =
              ReferencePosition.of(logits, offset, vocab, target, encoding);
        });
    return out;
  }
}
