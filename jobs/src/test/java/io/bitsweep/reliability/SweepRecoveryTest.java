package io.bitsweep.reliability;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.rand;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep gives the same results table and leaderboard, bit for bit, after a retried task, after a
 * killed driver and a rerun, and with uncommitted output of a dead driver left behind. The task
 * chunking and the partitioning of the results change nothing either. Every run is compared with
 * one uninterrupted run of the same inputs, in local mode with up to 3 attempts per task.
 */
class SweepRecoveryTest {
  private static final List<QuantConfig> CONFIGS =
      List.of(
          QuantConfig.parse("{\"default\": 8}", "c8.json"),
          QuantConfig.parse("{\"default\": 4}", "c4.json"),
          QuantConfig.parse("{\"default\": 4, \"groups\": {\"mlp_down\": \"2/32\"}}", "mixed.json"));
  private static final int SHARDS = 2;
  private static final int PAIRS = CONFIGS.size() * SHARDS;
  private static final String SPEC_ID = cliSpecId(CONFIGS);

  private static final int[][] SEQUENCES = {
    {1, 211, 110, 52, 166, 210, 71, 77, 114, 1163, 3, 860, 134},
    {1, 45, 57, 159, 797, 134, 169, 117, 86, 205, 639, 392},
    {1, 53, 71, 601, 114, 1568, 3, 208, 110, 52, 183},
  };

  @TempDir static Path tmp;

  private static SparkSession spark;
  private static ModelRef model;
  private static Path base;
  private static List<String> expectedResults;
  private static List<String> expectedLeaderboard;

  @BeforeAll
  static void runUninterrupted() {
    spark = Sessions.getOrCreate("SweepRecoveryTest", new SparkOptions("local[2,3]", Map.of()));
    model = ModelRef.resolve(TinyModelCopy.source().toString());
    base = tmp.resolve("base");
    TableStore store = new TableStore(spark, base.toString());
    writeCalibration(store);
    ReferenceJob.run(store, new ReferenceJob.Options(model, store.root(), ReferenceEncoding.topK(8)));

    TableStore uninterrupted = folderWithInputs("uninterrupted");
    SweepJob.Summary summary = SweepJob.run(uninterrupted, options(2, 0));
    RankJob.run(uninterrupted, model);

    assertThat(summary.computed()).as("pairs computed by the uninterrupted run").isEqualTo(PAIRS);
    expectedResults = Tables.canonicalRows(uninterrupted, Table.RESULTS);
    expectedLeaderboard = Tables.canonicalRows(uninterrupted, Table.LEADERBOARD);
    assertThat(expectedResults).as("results rows").hasSize(CONFIGS.size() * SEQUENCES.length);
    assertThat(expectedLeaderboard).as("leaderboard rows").hasSize(CONFIGS.size());
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void retriedTasksAddNoRows() throws Exception {
    TableStore store = folderWithInputs("retried");
    AtomicInteger failedAttempts = new AtomicInteger();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            if (taskEnd.reason() instanceof ExceptionFailure) {
              failedAttempts.incrementAndGet();
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    spark.conf().set(SweepJob.TEST_FAIL_FIRST_ATTEMPT_AFTER_ROWS, "1");
    try {
      SweepJob.run(store, options(1, 0));
    } finally {
      spark.conf().unset(SweepJob.TEST_FAIL_FIRST_ATTEMPT_AFTER_ROWS);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      spark.sparkContext().removeSparkListener(listener);
    }
    RankJob.run(store, model);

    assertThat(failedAttempts.get()).as("first attempts failed by the test hook").isEqualTo(PAIRS);
    assertSameRows(store, Table.RESULTS, expectedResults);
    assertSameRows(store, Table.LEADERBOARD, expectedLeaderboard);
  }

  @Test
  void leaderboardSameForAnyPartitioning() {
    TableStore uninterrupted = new TableStore(spark, tmp.resolve("uninterrupted").toString());
    Dataset<Row> results = uninterrupted.read(Table.RESULTS);
    for (int partitions : new int[] {1, 2, 3, 8}) {
      Path folder = tmp.resolve("partitions-" + partitions);
      Tables.copy(tmp.resolve("uninterrupted"), folder, Table.CONFIGURATIONS);
      TableStore store = new TableStore(spark, folder.toString());
      store.replace(Table.RESULTS, results.orderBy(rand(partitions)).repartition(partitions));

      RankJob.run(store, model);

      assertSameRows(store, Table.LEADERBOARD, expectedLeaderboard);
    }
  }

  @Test
  void chunkingChangesNoResult() {
    TableStore store = folderWithInputs("one-per-task");
    List<QuantConfig> withDuplicate = new ArrayList<>(CONFIGS);
    withDuplicate.add(QuantConfig.parse("{\"default\": {\"bits\": 8, \"group_size\": 64}}", "again"));

    SweepJob.Summary summary =
        SweepJob.run(store, new SweepJob.Options(model, SPEC_ID, withDuplicate, 1, 0));

    assertThat(summary.pairs()).as("pairs, the duplicate configuration counted once").isEqualTo(PAIRS);
    assertSameRows(store, Table.RESULTS, expectedResults);
  }

  @Test
  void rerunAfterKilledDriverSkipsFinishedPairs() throws Exception {
    TableStore store = folderWithInputs("killed");
    List<String> args =
        new ArrayList<>(
            List.of(
                "sweep",
                "--model", model.location(),
                "--out", store.root(),
                "--configs-per-task", "1",
                "--tasks-per-wave", "1",
                "--master", "local[1]"));
    for (QuantConfig config : CONFIGS) {
      args.add("--config");
      args.add(TinyModelCopy.writeFile(tmp.resolve("configs"), config.id() + ".json", config.canonicalJson()).toString());
    }
    Path firstCommit = tmp.resolve("killed/results/_SUCCESS");

    Process driver = ChildJvm.start(tmp.resolve("killed-driver.txt"), args.toArray(String[]::new));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (!Files.exists(firstCommit) && driver.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    driver.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
    assertThat(driver.waitFor(30, TimeUnit.SECONDS)).as("killed driver exited").isTrue();
    assertThat(firstCommit)
        .as("first wave committed before the kill; driver output:%n%s", readOrEmpty(tmp.resolve("killed-driver.txt")))
        .exists();
    long committed = store.read(Table.RESULTS).select("config_id", "shard").distinct().count();

    SweepJob.Summary rerun = SweepJob.run(store, options(1, 1));
    RankJob.run(store, model);

    assertThat(committed).as("pairs committed before the kill").isBetween(1L, PAIRS - 1L);
    assertThat(rerun.skipped()).as("pairs the rerun skipped").isEqualTo(committed);
    assertThat(rerun.computed()).as("pairs the rerun computed").isEqualTo(PAIRS - committed);
    assertSameRows(store, Table.RESULTS, expectedResults);
    assertSameRows(store, Table.LEADERBOARD, expectedLeaderboard);
  }

  @Test
  void uncommittedOutputOfDeadDriverIsDiscarded() throws IOException {
    // A driver that died after some tasks of a wave committed, but before the wave's job commit,
    // leaves their files in results/_temporary/0/task_*; the next job commit would publish them.
    TableStore store = folderWithInputs("stale");
    Dataset<Row> results = new TableStore(spark, tmp.resolve("uninterrupted").toString()).read(Table.RESULTS);
    Path resultsFolder = tmp.resolve("stale/results");
    Path committed = writeOnePartFile(results.where(col("config_id").equalTo(CONFIGS.get(0).id())), "c0");
    Path stale = writeOnePartFile(results.where(col("config_id").equalTo(CONFIGS.get(1).id())), "c1");
    Files.createDirectories(resultsFolder);
    Files.copy(committed, resultsFolder.resolve(committed.getFileName()));
    Files.createFile(resultsFolder.resolve("_SUCCESS"));
    Path taskFolder =
        Files.createDirectories(resultsFolder.resolve("_temporary/0/task_202501010000_0007_m_000000"));
    Files.copy(stale, taskFolder.resolve(stale.getFileName()));

    SweepJob.Summary rerun = SweepJob.run(store, options(1, 0));

    assertThat(rerun.skipped()).as("pairs of the committed file").isEqualTo(SHARDS);
    assertThat(rerun.computed()).as("pairs computed again").isEqualTo(PAIRS - SHARDS);
    assertSameRows(store, Table.RESULTS, expectedResults);
  }

  @Test
  void resultsWithoutCommitAreEmpty() throws IOException {
    // A driver that died during the first wave leaves a results folder with only _temporary.
    TableStore store = folderWithInputs("first-wave");
    Dataset<Row> results = new TableStore(spark, tmp.resolve("uninterrupted").toString()).read(Table.RESULTS);
    Path stale = writeOnePartFile(results.where(col("config_id").equalTo(CONFIGS.get(2).id())), "c2");
    Path taskFolder =
        Files.createDirectories(
            tmp.resolve("first-wave/results/_temporary/0/task_202501010000_0001_m_000000"));
    Files.copy(stale, taskFolder.resolve(stale.getFileName()));

    SweepJob.Summary rerun = SweepJob.run(store, options(2, 0));

    assertThat(rerun.skipped()).as("pairs skipped").isZero();
    assertSameRows(store, Table.RESULTS, expectedResults);
  }

  /** Checks the row count first, so a duplicated row fails with a short message. */
  private static void assertSameRows(TableStore store, Table table, List<String> expected) {
    List<String> rows = Tables.canonicalRows(store, table);
    assertThat(rows).as("%s rows in %s", table.tableName(), store.root()).hasSameSizeAs(expected);
    assertThat(rows).as("%s in %s, every column bit for bit", table.tableName(), store.root()).isEqualTo(expected);
  }

  private static SweepJob.Options options(int configsPerTask, int tasksPerWave) {
    return new SweepJob.Options(model, SPEC_ID, CONFIGS, configsPerTask, tasksPerWave);
  }

  /** Creates an output folder with copies of the calibration and reference tables. */
  private static TableStore folderWithInputs(String name) {
    Path folder = tmp.resolve(name);
    Tables.copy(base, folder, Table.CALIBRATION, Table.REFERENCE);
    return new TableStore(spark, folder.toString());
  }

  /** Writes rows as one Parquet file and returns it. */
  private static Path writeOnePartFile(Dataset<Row> rows, String name) throws IOException {
    Path folder = tmp.resolve("parts-" + name);
    rows.coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(folder.toString());
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
  }

  private static void writeCalibration(TableStore store) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < SEQUENCES.length; i++) {
      boolean[] mask = new boolean[SEQUENCES[i].length];
      java.util.Arrays.fill(mask, 0, mask.length - 1, true);
      rows.add(
          RowFactory.create(
              "s" + i, i % 2 == 0 ? "dialogue" : "code", i % SHARDS, SEQUENCES[i], mask, false, model.modelId()));
    }
    store.replace(Table.CALIBRATION, spark.createDataFrame(rows, Table.CALIBRATION.schema()));
  }

  /** Returns the spec id that {@code bitsweep sweep --config ...} gives a set of configurations. */
  private static String cliSpecId(List<QuantConfig> configurations) {
    List<String> ids = new ArrayList<>();
    configurations.forEach(config -> ids.add(config.id()));
    ids.sort(null);
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(String.join("\n", ids).getBytes(StandardCharsets.UTF_8));
      return "configs@" + HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String readOrEmpty(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }
}
