package io.bitsweep.jobs;

import io.bitsweep.Counts;
import io.bitsweep.eval.CandidateFactory;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The {@code sweep} step: evaluates every configuration of a spec on every calibration shard and
 * appends per-(configuration, sample) statistics to the {@code results} table.
 *
 * <p>Work is cut into tasks of (a chunk of configurations, one shard); configurations are ordered
 * by their per-stage signatures so that a chunk holds configurations that share prefixes, which
 * each task evaluates as a prefix tree. Tasks run in waves, each an ordinary Spark job whose
 * output is committed when it succeeds, so a rerun after a crash skips the (configuration, shard)
 * pairs already in {@code results}.
 */
public final class SweepJob {
  /**
   * Test hook, a Spark session setting that tests set: when it is a row count n >= 0, the first
   * attempt of every sweep task fails after handing n rows to the writer, so Spark retries it.
   * Nothing sets it outside tests.
   */
  public static final String TEST_FAIL_FIRST_ATTEMPT_AFTER_ROWS = "bitsweep.test.failFirstAttemptAfterRows";

  private SweepJob() {}

  /**
   * What to run.
   *
   * @param model the model, as resolved on the driver
   * @param specId id of the sweep spec the configurations come from
   * @param configurations the configurations, de-duplicated by id
   * @param configsPerTask configurations evaluated together by one task
   * @param tasksPerWave tasks per Spark job; 0 picks twice the default parallelism
   */
  public record Options(
      ModelRef model, String specId, List<QuantConfig> configurations, int configsPerTask, int tasksPerWave) {
    public Options {
      configurations = List.copyOf(configurations);
      if (configurations.isEmpty()) {
        throw new IllegalArgumentException("The sweep spec generated no configurations; add some to it");
      }
      if (configsPerTask < 1) {
        throw new IllegalArgumentException("--configs-per-task is " + configsPerTask + ", expected at least 1");
      }
    }
  }

  /**
   * Counts of one run.
   *
   * @param pairs (configuration, shard) pairs in the sweep
   * @param skipped pairs already in the results table, not recomputed
   * @param computed pairs computed by this run
   * @param stagesRun forward stages run by the prefix trees of this run
   * @param stagesIndependent stages that evaluating each computed configuration alone would run
   * @param costFraction multiply-adds run as a fraction of independent evaluations
   */
  public record Summary(
      long pairs, long skipped, long computed, long stagesRun, long stagesIndependent, double costFraction) {}

  /**
   * One unit of work: some configurations (as canonical JSON) on one shard. A class, not a record,
   * because it is an RDD element, which spark.serializer (Kryo 4 in conf/spark-defaults.conf)
   * writes, and Kryo 4 cannot serialize records.
   */
  static final class Task implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int shard;
    private final ArrayList<SamplePayload> samples;
    private final ArrayList<String> configJson;

    Task(int shard, List<SamplePayload> samples, List<String> configJson) {
      this.shard = shard;
      this.samples = new ArrayList<>(samples);
      this.configJson = new ArrayList<>(configJson);
    }

    int shard() {
      return shard;
    }

    List<SamplePayload> samples() {
      return samples;
    }

    List<String> configJson() {
      return configJson;
    }
  }

  /** Runs the step. */
  public static Summary run(TableStore store, Options options) {
    ModelRef model = options.model();
    store
        .spark()
        .sparkContext()
        .setJobGroup(
            "sweep",
            String.format(
                Locale.ROOT,
                "sweep: prepare %d configurations of %s (configurations, results, calibration and"
                    + " reference tables)",
                options.configurations().size(),
                model.name()),
            false);
    // The existing tables are checked before any table is written, so a rejected run changes none.
    TreeMap<Integer, List<SamplePayload>> shards = Shards.loadWithReference(store, model);
    checkConfigurations(store, options);
    Set<String> done = finishedPairs(store, options);
    List<QuantConfig> ordered = orderBySignature(model, options.configurations());
    writeConfigurations(store, options, ordered);
    List<Task> tasks = new ArrayList<>();
    long pairs = 0;
    long skipped = 0;
    for (Map.Entry<Integer, List<SamplePayload>> shard : shards.entrySet()) {
      for (int from = 0; from < ordered.size(); from += options.configsPerTask()) {
        List<String> pending = new ArrayList<>();
        for (QuantConfig config : ordered.subList(from, Math.min(ordered.size(), from + options.configsPerTask()))) {
          pairs++;
          if (done.contains(config.id() + "/" + shard.getKey())) {
            skipped++;
          } else {
            pending.add(config.canonicalJson());
          }
        }
        if (!pending.isEmpty()) {
          tasks.add(new Task(shard.getKey(), shard.getValue(), pending));
        }
      }
    }
    return runWaves(store, options, tasks, pairs, skipped, shards.size());
  }

  private static Summary runWaves(
      TableStore store, Options options, List<Task> tasks, long pairs, long skipped, int shardCount) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(store.spark().sparkContext());
    int perWave = options.tasksPerWave() > 0 ? options.tasksPerWave() : Math.max(2, 2 * jsc.defaultParallelism());
    int waves = (tasks.size() + perWave - 1) / perWave;
    LongAccumulator stagesRun = jsc.sc().longAccumulator("sweep stages run");
    LongAccumulator stagesIndependent = jsc.sc().longAccumulator("sweep stages if independent");
    DoubleAccumulator costRun = jsc.sc().doubleAccumulator("sweep multiply-adds run");
    DoubleAccumulator costIndependent = jsc.sc().doubleAccumulator("sweep multiply-adds if independent");
    long pairsToRun = pairs - skipped;
    Progress progress = new Progress("sweep", pairsToRun);
    Progress.LOG.info(
        "sweep: {} x {} of {}: {}, {} already in results, {} in {}",
        Counts.of(options.configurations().size(), "configuration"),
        Counts.of(shardCount, "shard"),
        options.model().name(),
        Counts.of(pairs, "pair"),
        skipped,
        Counts.of(tasks.size(), "task"),
        Counts.of(waves, "wave"));
    List<ActivationStatsTable.Entry> activations = ActivationStatsTable.read(store, options.model());
    int failAfterRows = Integer.parseInt(store.spark().conf().get(TEST_FAIL_FIRST_ATTEMPT_AFTER_ROWS, "-1"));
    SweepTaskRunner runner =
        new SweepTaskRunner(
            options.model(),
            options.specId(),
            jsc.broadcast(activations),
            stagesRun,
            stagesIndependent,
            costRun,
            costIndependent,
            failAfterRows);
    for (int wave = 0; wave < waves; wave++) {
      List<Task> batch = tasks.subList(wave * perWave, Math.min(tasks.size(), (wave + 1) * perWave));
      long batchPairs = batch.stream().mapToLong(t -> t.configJson().size()).sum();
      jsc.setJobGroup(
          "sweep",
          String.format(
              Locale.ROOT,
              "sweep: wave %d/%d, %d tasks (%d configuration x shard pairs) of %s",
              wave + 1,
              waves,
              batch.size(),
              batchPairs,
              options.model().name()),
          false);
      JavaRDD<Row> rows = jsc.parallelize(batch, batch.size()).flatMap(runner::run);
      store.append(Table.RESULTS, store.spark().createDataFrame(rows, Table.RESULTS.schema()));
      progress.advance(batchPairs, String.format(Locale.ROOT, "wave %d/%d", wave + 1, waves));
    }
    jsc.clearJobGroup();
    double fraction = costIndependent.value() == 0 ? 0 : costRun.value() / costIndependent.value();
    return new Summary(pairs, skipped, pairsToRun, stagesRun.value(), stagesIndependent.value(), fraction);
  }

  /** Orders configurations by their per-stage signatures, so neighbours share prefixes. */
  private static List<QuantConfig> orderBySignature(ModelRef model, List<QuantConfig> configurations) {
    CandidateFactory factory = SweepTaskRunner.factory(model, List.of());
    Map<String, QuantConfig> unique = new LinkedHashMap<>();
    Map<String, String> keys = new LinkedHashMap<>();
    for (QuantConfig config : configurations) {
      if (unique.putIfAbsent(config.id(), config) == null) {
        keys.put(config.id(), String.join("|", factory.signaturesOf(config)));
      }
    }
    List<QuantConfig> ordered = new ArrayList<>(unique.values());
    ordered.sort(Comparator.comparing((QuantConfig c) -> keys.get(c.id())).thenComparing(QuantConfig::id));
    return ordered;
  }

  /**
   * Checks that an existing configurations table comes from this model and spec: results of
   * another spec in the same output folder would rank configurations measured on different terms.
   */
  private static void checkConfigurations(TableStore store, Options options) {
    if (store.hasData(Table.CONFIGURATIONS)) {
      Dataset<Row> existing = store.read(Table.CONFIGURATIONS);
      Shards.checkModel(store, Table.CONFIGURATIONS, existing, options.model());
      for (Row row : existing.select("spec_id").distinct().collectAsList()) {
        if (!row.getString(0).equals(options.specId())) {
          throw new IllegalStateException(
              String.format(
                  Locale.ROOT,
                  "Cannot run spec %s in %s: its results table holds spec %s; use another --out, or"
                      + " delete %s and %s to start over",
                  options.specId(),
                  store.root(),
                  row.getString(0),
                  store.location(Table.RESULTS),
                  store.location(Table.CONFIGURATIONS)));
        }
      }
    }
  }

  /** Writes the configurations table: ids, labels, JSON and exact MLX sizes. */
  private static void writeConfigurations(TableStore store, Options options, List<QuantConfig> ordered) {
    CandidateFactory factory = SweepTaskRunner.factory(options.model(), List.of());
    List<Row> rows = new ArrayList<>();
    for (QuantConfig config : ordered) {
      QuantPlan plan = factory.plan(config);
      rows.add(
          RowFactory.create(
              config.id(),
              config.label(),
              config.canonicalJson(),
              plan.mlxBytes(),
              plan.bitsPerWeight(),
              options.specId(),
              options.model().modelId()));
    }
    store.replace(Table.CONFIGURATIONS, store.spark().createDataFrame(rows, Table.CONFIGURATIONS.schema()).coalesce(1));
  }

  /**
   * Returns the (configuration id, shard) pairs already in the results table, as {@code id/shard},
   * after discarding the uncommitted output of a run whose driver died.
   */
  private static Set<String> finishedPairs(TableStore store, Options options) {
    Set<String> done = new HashSet<>();
    store.discardUncommitted(Table.RESULTS);
    if (!store.hasData(Table.RESULTS)) {
      return done;
    }
    Dataset<Row> results = store.read(Table.RESULTS);
    Shards.checkModel(store, Table.RESULTS, results, options.model());
    for (Row row : results.select("config_id", "shard", "spec_id").distinct().collectAsList()) {
      if (!row.getString(2).equals(options.specId())) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "Cannot run spec %s in %s: table results holds rows of spec %s; use another --out",
                options.specId(),
                store.root(),
                row.getString(2)));
      }
      done.add(row.getString(0) + "/" + row.getInt(1));
    }
    return done;
  }
}
