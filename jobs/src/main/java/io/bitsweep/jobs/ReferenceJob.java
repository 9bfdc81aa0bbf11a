package io.bitsweep.jobs;

import io.bitsweep.eval.ReferenceRunner;
import io.bitsweep.eval.ShardSample;
import io.bitsweep.kld.FullDistribution;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.kld.TopKDistribution;
import io.bitsweep.model.LanguageModel;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The {@code reference} step: runs the unquantized model over every shard of the calibration
 * table, one Spark task per shard, and writes the {@code reference} table with each scored
 * position's next-token distribution in compact (top-k) or full form.
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

  /**
   * Runs the step; returns the number of reference rows written. The driver opens the model first
   * and checks that its weights are finite, so later steps, which need this table, only run
   * checked models.
   */
  public static long run(TableStore store, Options options) {
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
            "reference: bf16 distributions (%s) of %d shards of %s",
            describe(options.encoding()),
            tasks.size(),
            options.model().name());
    jsc.setJobGroup("reference", description, false);
    Progress.LOG.info("{}", description);
    ModelRef model = options.model();
    // The engine's records are not Serializable; the task carries the encoding as plain values.
    boolean full = options.encoding().form() == ReferenceEncoding.Form.FULL;
    int topK = options.encoding().topK();
    JavaRDD<Row> rows =
        jsc.parallelize(tasks, tasks.size())
            .flatMap(task -> runShard(model, full ? ReferenceEncoding.full() : ReferenceEncoding.topK(topK), task));
    store.replace(Table.REFERENCE, store.spark().createDataFrame(rows, Table.REFERENCE.schema()));
    long count = store.read(Table.REFERENCE).count();
    jsc.clearJobGroup();
    return count;
  }

  static String describe(ReferenceEncoding encoding) {
    return encoding.form() == ReferenceEncoding.Form.FULL ? "full log-probs" : "top-" + encoding.topK();
  }

  private static Iterator<Row> runShard(ModelRef model, ReferenceEncoding encoding, ShardTask task) {
    LanguageModel engine = ModelCache.get(model);
    List<ShardSample> samples = new ArrayList<>();
    for (SamplePayload payload : task.samples()) {
      samples.add(payload.toShardSample());
    }
    List<ReferencePosition[]> references =
        new ReferenceRunner(engine.forwardPass()).run(samples, engine.weights(), encoding);
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < samples.size(); s++) {
      ReferencePosition[] positions = references.get(s);
      for (int p = 0; p < positions.length; p++) {
        if (positions[p] != null) {
          rows.add(toRow(samples.get(s).sampleId(), task.shard(), p, positions[p], model.modelId()));
        }
      }
    }
    return rows.iterator();
  }

  private static Row toRow(String sampleId, int shard, int position, ReferencePosition reference, String modelId) {
    int[] topIds = new int[0];
    float[] topLogProbs = new float[0];
    float tail = 0f;
    float[] full = null;
    if (reference.distribution() instanceof TopKDistribution topK) {
      topIds = topK.tokenIds();
      topLogProbs = topK.logProbs();
      tail = topK.logRestMass();
    } else if (reference.distribution() instanceof FullDistribution all) {
      full = all.logProbs();
    }
    return RowFactory.create(
        sampleId,
        shard,
        position,
        reference.targetToken(),
        reference.targetLogProb(),
        topIds,
        topLogProbs,
        tail,
        full,
        modelId);
  }
}
