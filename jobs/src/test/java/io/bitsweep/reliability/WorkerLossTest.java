package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.RankJob;
import io.bitsweep.jobs.ReferenceJob;
import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.SparkOptions;
import io.bitsweep.jobs.SweepJob;
import io.bitsweep.jobs.Table;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.testing.LocalCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep on a standalone cluster of two workers on 127.0.0.1 (a driver in this JVM, client mode,
 * with the settings of conf/spark-defaults.conf) loses one worker JVM, killed with SIGKILL when the
 * sweep's first task has finished. The sweep must finish on the other worker, and the reference
 * table and the leaderboard must equal, in every column bit for bit, those of an uninterrupted run
 * of the same inputs in local mode.
 */
class WorkerLossTest {
  private static final List<QuantConfig> CONFIGS =
      List.of(
          QuantConfig.parse("{\"default\": 8}", "c8.json"),
          QuantConfig.parse("{\"default\": 4}", "c4.json"),
          QuantConfig.parse("{\"default\": 4, \"groups\": {\"mlp_down\": \"2/32\"}}", "mixed.json"));
  private static final int SHARDS = 2;
  private static final int[][] SEQUENCES = {
    {1, 211, 110, 52, 166, 210, 71, 77, 114, 1163, 3, 860, 134},
    {1, 45, 57, 159, 797, 134, 169, 117, 86, 205, 639, 392},
    {1, 53, 71, 601, 114, 1568, 3, 208, 110, 52, 183},
  };
  private static final String SPEC_ID = "worker-loss@000000000000";

  @TempDir static Path tmp;

  private static ModelRef model;
  private static List<String> localReference;
  private static List<String> localLeaderboard;
  private static LocalCluster cluster;
  private static SparkSession spark;

  @BeforeAll
  static void rankInLocalModeThenStartCluster() {
    assertThat(SparkSession.getDefaultSession().isDefined())
        .as("a SparkSession left open by an earlier test would be reused instead of the cluster's")
        .isFalse();
    model = ModelRef.resolve(TinyModelCopy.source().toString());
    SparkSession local = Sessions.getOrCreate("WorkerLossTest-local", new SparkOptions("local[2]", Map.of()));
    try {
      TableStore store = new TableStore(local, tmp.resolve("local").toString());
      writeCalibration(local, store);
      ReferenceJob.run(store, new ReferenceJob.Options(model, store.root(), ReferenceEncoding.topK(8)));
      SweepJob.run(store, new SweepJob.Options(model, SPEC_ID, CONFIGS, 1, 0));
      RankJob.run(store, model);
      localReference = Tables.canonicalRows(store, Table.REFERENCE);
      localLeaderboard = Tables.canonicalRows(store, Table.LEADERBOARD);
    } finally {
      local.stop();
    }

    cluster = LocalCluster.start(Path.of("target/worker-loss-cluster"), LocalCluster.Size.twoWorkers());
    SparkConf conf = new SparkConf(false).setAppName("WorkerLossTest");
    cluster.sparkConf().forEach(conf::set);
    spark = SparkSession.builder().config(conf).getOrCreate();
  }

  @AfterAll
  static void stopCluster() {
    try {
      if (spark != null) {
        spark.stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  void sweepSurvivesKilledWorker() throws Exception {
    Path folder = tmp.resolve("cluster");
    Tables.copy(tmp.resolve("local"), folder, Table.CALIBRATION);
    TableStore store = new TableStore(spark, folder.toString());
    ReferenceJob.run(store, new ReferenceJob.Options(model, store.root(), ReferenceEncoding.topK(8)));
    assertThat(Tables.canonicalRows(store, Table.REFERENCE))
        .as("reference table built on the cluster, against local mode")
        .isEqualTo(localReference);

    WorkerKiller killer = new WorkerKiller();
    spark.sparkContext().addSparkListener(killer);
    try {
      // One wave of six one-configuration tasks, so tasks are left when the first one ends.
      SweepJob.Summary summary =
          SweepJob.run(store, new SweepJob.Options(model, SPEC_ID, CONFIGS, 1, CONFIGS.size() * SHARDS));
      assertThat(summary.computed()).as("pairs computed").isEqualTo(CONFIGS.size() * SHARDS);
    } finally {
      spark.sparkContext().removeSparkListener(killer);
    }
    RankJob.run(store, model);

    assertThat(killer.kill).as("worker kill").isNotNull();
    killer.kill.get(60, TimeUnit.SECONDS);
    assertThat(cluster.isWorkerAlive(2)).as("worker 2 after the kill").isFalse();
    assertThat(killer.tasksEndedBeforeKill)
        .as("sweep tasks that had ended when worker 2 was killed")
        .isLessThan(CONFIGS.size() * SHARDS);
    List<String> leaderboard = Tables.canonicalRows(store, Table.LEADERBOARD);
    assertThat(leaderboard).as("leaderboard rows").hasSameSizeAs(localLeaderboard);
    assertThat(leaderboard)
        .as("leaderboard of the cluster run that lost a worker, against local mode")
        .isEqualTo(localLeaderboard);
  }

  /** Kills worker 2 when the first task of a sweep wave has succeeded. */
  private static final class WorkerKiller extends SparkListener {
    private final Set<Integer> sweepStages = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ended = new AtomicInteger();
    volatile CompletableFuture<Void> kill;
    volatile int tasksEndedBeforeKill = -1;

    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
      String group = jobStart.properties().getProperty("spark.jobGroup.id");
      if ("sweep".equals(group)) {
        for (Object stage : scala.jdk.javaapi.CollectionConverters.asJava(jobStart.stageIds())) {
          sweepStages.add((Integer) stage);
        }
      }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd taskEnd) {
      if (!sweepStages.contains(taskEnd.stageId()) || taskEnd.reason() != Success$.MODULE$) {
        return;
      }
      int count = ended.incrementAndGet();
      if (kill == null) {
        tasksEndedBeforeKill = count;
        // Off the listener thread, which must not block while the worker dies.
        kill = CompletableFuture.runAsync(() -> cluster.killWorker(2));
      }
    }
  }

  private static void writeCalibration(SparkSession session, TableStore store) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < SEQUENCES.length; i++) {
      boolean[] mask = new boolean[SEQUENCES[i].length];
      Arrays.fill(mask, 0, mask.length - 1, true);
      rows.add(
          RowFactory.create(
              "s" + i, i % 2 == 0 ? "dialogue" : "code", i % SHARDS, SEQUENCES[i], mask, false, model.modelId()));
    }
    store.replace(Table.CALIBRATION, session.createDataFrame(rows, Table.CALIBRATION.schema()));
  }
}
