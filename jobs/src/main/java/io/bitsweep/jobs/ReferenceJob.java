package io.bitsweep.jobs;

import io.bitsweep.Counts;
import io.bitsweep.awq.ActivationRecorder;
import io.bitsweep.eval.ReferenceRunner;
import io.bitsweep.eval.ShardSample;
import io.bitsweep.kld.FullDistribution;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.kld.SampledTailDistribution;
import io.bitsweep.kld.TopKDistribution;
import io.bitsweep.model.LanguageModel;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.storage.StorageLevel;

/**
 * The {@code reference} step: runs the unquantized model over every shard of the calibration
 * table, one Spark task per shard, and writes the {@code reference} table with each scored
 * position's next-token distribution in compact (top-k, optionally with a sampled tail) or full
 * form, and the {@code activation_stats} table that AWQ reads.
 */
public final class ReferenceJob {
  private ReferenceJob() {}

  /**
   * What to run.
   *
   * @param model the model, as resolved on the driver
   * @param out the output folder holding the tables
   * @param encoding how distributions are stored
   */
  public record Options(ModelRef model, String out, ReferenceEncoding encoding) {}

  /**
   * One shard of work for an executor. A class, not a record, because it is an RDD element, which
   * spark.serializer (Kryo 4 in conf/spark-defaults.conf) writes, and Kryo 4 cannot serialize
   * records.
   */
  static final class ShardTask implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int shard;
    private final ArrayList<SamplePayload> samples;

    ShardTask(int shard, List<SamplePayload> samples) {
      this.shard = shard;
      this.samples = new ArrayList<>(samples);
    }

    int shard() {
      return shard;
    }

    List<SamplePayload> samples() {
      return samples;
    }
  }

  /** What one shard produced: reference rows and the activation statistics of its inputs. */
  static final class ShardOutput implements Serializable {
    private static final long serialVersionUID = 1L;

    // A plain class, not a record: Kryo (used on clusters) cannot serialize records.
    private final int shard;
    private final List<Row> rows;
    private final List<ActivationStatsTable.Entry> stats;

    ShardOutput(int shard, List<Row> rows, List<ActivationStatsTable.Entry> stats) {
      this.shard = shard;
      this.rows = new ArrayList<>(rows);
      this.stats = new ArrayList<>(stats);
    }

    int shard() {
      return shard;
    }

    List<Row> rows() {
      return rows;
    }

    List<ActivationStatsTable.Entry> stats() {
      return stats;
    }
  }

  /**
   * Runs the step; returns the number of reference rows written. The driver opens the model first
   * and checks that its weights are finite, so later steps, which need this table, only run
   * checked models.
   */
  public static long run(TableStore store, Options options) {
    store
        .spark()
        .sparkContext()
        .setJobGroup("reference", "reference: read the calibration table for " + options.model().name(), false);
    ModelCache.getVerified(options.model());
    TreeMap<Integer, List<SamplePayload>> shards = Shards.load(store, options.model());
    List<ShardTask> tasks = new ArrayList<>();
    for (Map.Entry<Integer, List<SamplePayload>> shard : shards.entrySet()) {
      tasks.add(new ShardTask(shard.getKey(), shard.getValue()));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(store.spark().sparkContext());
    String description =
        String.format(
            Locale.ROOT,
            "reference: bf16 distributions (%s) of %s of %s",
            describe(options.encoding()),
            Counts.of(tasks.size(), "shard"),
            options.model().name());
    jsc.setJobGroup("reference", description, false);
    Progress.LOG.info("{}", description);
    ModelRef model = options.model();
    // The engine's records are not Serializable; the task carries the encoding as plain values.
    ReferenceEncoding.Form form = options.encoding().form();
    int topK = options.encoding().topK();
    int tailSamples = options.encoding().tailSamples();
    JavaRDD<ShardOutput> outputs =
        jsc.parallelize(tasks, tasks.size())
            .map(task -> runShard(model, new ReferenceEncoding(form, topK, tailSamples), task))
            .persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<Row> rows = outputs.flatMap(output -> output.rows().iterator());
    store.replace(Table.REFERENCE, store.spark().createDataFrame(rows, Table.REFERENCE.schema()));
    List<List<ActivationStatsTable.Entry>> stats = new ArrayList<>();
    List<ShardOutput> collected = new ArrayList<>(outputs.map(o -> new ShardOutput(o.shard(), List.of(), o.stats())).collect());
    collected.sort(java.util.Comparator.comparingInt(ShardOutput::shard));
    collected.forEach(o -> stats.add(o.stats()));
    outputs.unpersist(false);
    ActivationStatsTable.write(store, ActivationStatsTable.mergeInShardOrder(stats), model);
    long count = store.read(Table.REFERENCE).count();
    jsc.setJobGroup("reference", "reference: measure the compact form's KLD error on shard " + tasks.get(0).shard(), false);
    String error = CompactFormCheck.measure(model, tasks.get(0).samples(), options.encoding());
    Artifacts.writeText(store, "reference_error.txt", error);
    Progress.LOG.info("reference: compact-form error written to {}", store.location("reference_error.txt"));
    jsc.clearJobGroup();
    return count;
  }

  static String describe(ReferenceEncoding encoding) {
    return encoding.describe();
  }

  private static ShardOutput runShard(ModelRef model, ReferenceEncoding encoding, ShardTask task) {
    LanguageModel engine = ModelCache.get(model);
    ActivationRecorder recorder = new ActivationRecorder(engine.weights());
    List<ShardSample> samples = new ArrayList<>();
    for (SamplePayload payload : task.samples()) {
      samples.add(payload.toShardSample());
    }
    List<ReferencePosition[]> references =
        new ReferenceRunner(engine.forwardPass()).run(samples, recorder, encoding);
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < samples.size(); s++) {
      ReferencePosition[] positions = references.get(s);
      for (int p = 0; p < positions.length; p++) {
        if (positions[p] != null) {
          rows.add(toRow(samples.get(s).sampleId(), task.shard(), p, positions[p], model.modelId()));
        }
      }
    }
    return new ShardOutput(task.shard(), rows, ActivationStatsTable.entries(recorder.snapshot()));
  }

  private static Row toRow(String sampleId, int shard, int position, ReferencePosition reference, String modelId) {
    TopKDistribution top = null;
    int[] tailIds = new int[0];
    float[] tailLogProbs = new float[0];
    float[] full = null;
    if (reference.distribution() instanceof TopKDistribution topK) {
      top = topK;
    } else if (reference.distribution() instanceof SampledTailDistribution sampled) {
      top = sampled.top();
      tailIds = sampled.tailIds();
      tailLogProbs = sampled.tailLogProbs();
    } else if (reference.distribution() instanceof FullDistribution all) {
      full = all.logProbs();
    }
    int[] topIds = top == null ? new int[0] : top.tokenIds();
    float[] topLogProbs = top == null ? new float[0] : top.logProbs();
    float tail = top == null ? 0f : top.logRestMass();
    return RowFactory.create(
        sampleId,
        shard,
        position,
        reference.targetToken(),
        reference.targetLogProb(),
        topIds,
        topLogProbs,
        tail,
        tailIds,
        tailLogProbs,
        full,
        modelId);
  }
}
