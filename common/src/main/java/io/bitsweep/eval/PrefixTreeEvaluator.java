package io.bitsweep.eval;

import io.bitsweep.kld.PositionResult;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.kld.SampleStats;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.HiddenStates;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates many configurations on one shard as a prefix tree. Candidates that agree on the
 * embedding and layers {@code 0..i} share the hidden states after layer {@code i}; at each layer
 * the group splits by that layer's signature, so a layer runs once per distinct prefix instead of
 * once per configuration. Candidates identical in every stage are evaluated once.
 *
 * <p>Memory: the tree is walked depth first, so at most one hidden-state copy per layer is alive,
 * and each layer's weights are requested only while that layer runs.
 */
public final class PrefixTreeEvaluator {
  private final ForwardPass forward;
  private final StageCosts costs;

  /** Creates an evaluator over {@code forward}, counting work with {@code costs}. */
  public PrefixTreeEvaluator(ForwardPass forward, StageCosts costs) {
    this.forward = forward;
    this.costs = costs;
  }

  /**
   * The statistics of every candidate on every sample, and the work done.
   *
   * @param stats per configuration id, one {@link SampleStats} per sample in sample order
   * @param work stages run against stages an independent evaluation of each candidate would run
   */
  public record Result(Map<String, List<SampleStats>> stats, WorkCount work) {}

  /**
   * Evaluates {@code candidates} on {@code samples}.
   *
   * @param references for each sample, the reference at each position ({@code null} where the
   *     position is not scored)
   */
  public Result evaluate(
      List<Candidate> candidates, List<ShardSample> samples, List<ReferencePosition[]> references) {
    if (samples.size() != references.size()) {
      throw new IllegalArgumentException(
          "Got " + samples.size() + " samples but " + references.size() + " reference lists");
    }
    Walk walk = new Walk(samples, references);
    for (List<Candidate> group : partition(candidates, 0).values()) {
      HiddenStates h = forward.embed(walk.sequences, group.get(0).weights());
      walk.work.add(0, costs.cost(0));
      walk.descend(1, group, h);
    }
    int stageCount = costs.stageCount();
    double fullCost = 0;
    for (int stage = 0; stage < stageCount; stage++) {
      fullCost += costs.cost(stage);
    }
    walk.work.setIndependent((long) candidates.size() * stageCount, candidates.size() * fullCost);
    return new Result(walk.out, walk.work);
  }

  private static Map<String, List<Candidate>> partition(List<Candidate> group, int stage) {
    Map<String, List<Candidate>> parts = new LinkedHashMap<>();
    for (Candidate candidate : group) {
      parts.computeIfAbsent(candidate.signature(stage), k -> new ArrayList<>()).add(candidate);
    }
    return parts;
  }

  /** State of one evaluation: the batch, its scored rows and the results so far. */
  private final class Walk {
    final List<int[]> sequences = new ArrayList<>();
    final List<ShardSample> samples;
    final List<ReferencePosition[]> references;
    final int[] scoredRows;
    final Map<String, List<SampleStats>> out = new LinkedHashMap<>();
    final WorkCount work = new WorkCount();

    Walk(List<ShardSample> samples, List<ReferencePosition[]> references) {
      this.samples = samples;
      this.references = references;
      List<Integer> rows = new ArrayList<>();
      int start = 0;
      for (int s = 0; s < samples.size(); s++) {
        ShardSample sample = samples.get(s);
        sequences.add(sample.tokenIds());
        for (int p = 0; p < sample.tokenIds().length; p++) {
          if (sample.isScored(p)) {
            if (references.get(s)[p] == null) {
              throw new IllegalArgumentException(
                  "Sample " + sample.sampleId() + " scores position " + p
                      + " but the reference table has no entry for it; rerun `bitsweep reference`");
            }
            rows.add(start + p);
          }
        }
        start += sample.tokenIds().length;
      }
      scoredRows = rows.stream().mapToInt(Integer::intValue).toArray();
    }

    void descend(int stage, List<Candidate> group, HiddenStates h) {
      int headStage = costs.stageCount() - 1;
      if (stage == headStage) {
        for (List<Candidate> same : partition(group, stage).values()) {
          List<SampleStats> stats = head(h, same.get(0));
          work.add(stage, costs.cost(stage));
          out.put(same.get(0).id(), stats);
          for (Candidate twin : same.subList(1, same.size())) {
            out.put(twin.id(), copy(stats));
          }
        }
        return;
      }
      List<List<Candidate>> parts = new ArrayList<>(partition(group, stage).values());
      for (int i = 0; i < parts.size(); i++) {
        List<Candidate> part = parts.get(i);
        // The last branch may consume h in place; earlier ones need it intact afterwards.
        HiddenStates next = i == parts.size() - 1 ? h : h.copy();
        forward.layer(stage - 1, next, part.get(0).weights());
        work.add(stage, costs.cost(stage));
        descend(stage + 1, part, next);
      }
    }

    List<SampleStats> head(HiddenStates h, Candidate candidate) {
      List<SampleStats> stats = new ArrayList<>(samples.size());
      for (ShardSample sample : samples) {
        stats.add(new SampleStats(sample.sampleId(), sample.category()));
      }
      int vocab = forward.config().vocabSize();
      forward.head(
          h,
          scoredRows,
          candidate.weights(),
          (sequence, position, logits, offset) -> {
            ReferencePosition reference = references.get(sequence)[position];
            PositionResult result = reference.compare(logits, offset, vocab);
            stats.get(sequence).add(result);
          });
      return stats;
    }

    List<SampleStats> copy(List<SampleStats> stats) {
      List<SampleStats> copies = new ArrayList<>(stats.size());
      for (SampleStats s : stats) {
        copies.add(SampleStats.fromRow(s.toRow()));
      }
      return copies;
    }
  }
}
