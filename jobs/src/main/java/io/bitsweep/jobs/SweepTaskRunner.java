package io.bitsweep.jobs;

import io.bitsweep.awq.ActivationStats;
import io.bitsweep.eval.Candidate;
import io.bitsweep.eval.CandidateFactory;
import io.bitsweep.eval.PrefixTreeEvaluator;
import io.bitsweep.eval.ShardSample;
import io.bitsweep.eval.StageCosts;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.kld.SampleStats;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one sweep task on an executor: a chunk of configurations on one shard. */
final class SweepTaskRunner implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SweepTaskRunner.class);

  /** Fake-quantized tensors kept per JVM, as a fraction of the maximum heap. */
  private static final double CACHE_HEAP_FRACTION = 0.25;

  private static final Map<String, CandidateFactory> FACTORIES = new ConcurrentHashMap<>();

  private final ModelRef model;
  private final String specId;
  private final Broadcast<List<ActivationStatsTable.Entry>> stats;
  private final LongAccumulator stagesRun;
  private final LongAccumulator stagesIndependent;
  private final DoubleAccumulator costRun;
  private final DoubleAccumulator costIndependent;
  private final int failAfterRows; // SweepJob.TEST_FAIL_FIRST_ATTEMPT_AFTER_ROWS, -1 when unset

  SweepTaskRunner(
      ModelRef model,
      String specId,
      Broadcast<List<ActivationStatsTable.Entry>> stats,
      LongAccumulator stagesRun,
      LongAccumulator stagesIndependent,
      DoubleAccumulator costRun,
      DoubleAccumulator costIndependent,
      int failAfterRows) {
    this.model = model;
    this.specId = specId;
    this.stats = stats;
    this.stagesRun = stagesRun;
    this.stagesIndependent = stagesIndependent;
    this.costRun = costRun;
    this.costIndependent = costIndependent;
    this.failAfterRows = failAfterRows;
  }

  /**
   * The candidate factory of a model in this JVM, with its shared fake-quantization cache and,
   * for AWQ, the activation statistics of the reference step (none when {@code entries} is empty).
   */
  static CandidateFactory factory(ModelRef ref, List<ActivationStatsTable.Entry> entries) {
    ActivationStats activations = ActivationStatsTable.stats(entries);
    String key = ModelCache.key(ref) + "/" + (activations == null ? "no-stats" : activations.fingerprint());
    return FACTORIES.computeIfAbsent(
        key,
        id -> {
          LanguageModel model = ModelCache.get(ref);
          Checkpoint checkpoint = ((CheckpointWeights) model.weights()).checkpoint();
          QuantPlan.HeadTying tying =
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors());
          long budget = (long) (Runtime.getRuntime().maxMemory() * CACHE_HEAP_FRACTION);
          return new CandidateFactory(
              model.config(),
              model.weights(),
              checkpoint.tensors(),
              tying,
              new FakeQuantCache(budget),
              activations);
        });
  }

  Iterator<Row> run(SweepJob.Task task) {
    long start = System.nanoTime();
    LanguageModel engine = ModelCache.get(model);
    CandidateFactory factory = factory(model, stats.value());
    List<Candidate> candidates = new ArrayList<>();
    for (String json : task.configJson()) {
      candidates.add(factory.candidate(QuantConfig.parse(json, "sweep task")));
    }
    List<ShardSample> samples = new ArrayList<>();
    List<ReferencePosition[]> references = new ArrayList<>();
    for (SamplePayload payload : task.samples()) {
      samples.add(payload.toShardSample());
      references.add(payload.referencePositions());
    }
    Checkpoint checkpoint = ((CheckpointWeights) engine.weights()).checkpoint();
    PrefixTreeEvaluator evaluator =
        new PrefixTreeEvaluator(engine.forwardPass(), StageCosts.of(engine.config(), checkpoint.tensors()));
    PrefixTreeEvaluator.Result result = evaluator.evaluate(candidates, samples, references);
    stagesRun.add(result.work().stagesRun());
    stagesIndependent.add(result.work().stagesIndependent());
    costRun.add(result.work().costRun());
    costIndependent.add(result.work().costIndependent());
    List<Row> rows = new ArrayList<>();
    for (Candidate candidate : candidates) {
      for (SampleStats stats : result.stats().get(candidate.id())) {
        rows.add(ResultRows.toRow(candidate.id(), task.shard(), stats, specId, model.modelId()));
      }
    }
    LOG.info(
        "Shard {}: {} configurations, {} in {} ms; cache {}",
        task.shard(),
        candidates.size(),
        result.work(),
        (System.nanoTime() - start) / 1_000_000,
        factory.cache().stats());
    if (failAfterRows >= 0 && TaskContext.get().attemptNumber() == 0) {
      return failingAfter(rows, failAfterRows);
    }
    return rows.iterator();
  }

  /** The rows, then a failure after {@code count} of them: the test hook's first attempt. */
  private static Iterator<Row> failingAfter(List<Row> rows, int count) {
    Iterator<Row> all = rows.iterator();
    return new Iterator<>() {
      private int handed;

      @Override
      public boolean hasNext() {
        if (handed >= count) {
          throw new IllegalStateException(
              "Test hook " + SweepJob.TEST_FAIL_FIRST_ATTEMPT_AFTER_ROWS + ": failing the first"
                  + " attempt after " + count + " rows");
        }
        return all.hasNext();
      }

      @Override
      public Row next() {
        handed++;
        return all.next();
      }
    };
  }
}
