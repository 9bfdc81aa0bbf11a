package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import io.bitsweep.cli.Main;
import io.bitsweep.mlx.MlxModel;
import io.bitsweep.mlx.MlxReader;
import io.bitsweep.testing.LocalCluster;
import io.bitsweep.testing.S3Server;
import io.bitsweep.testing.Scripts;
import io.bitsweep.testing.TinyRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the pipeline through {@code bitsweep run} on a two-worker standalone cluster (driver in this
 * JVM, client mode) with the model on S3, runs it again in local mode with the model on local disk,
 * and checks that both leaderboards are equal. Then runs {@code scripts/write-mlx-on-mac} on the
 * local run's leaderboard.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterPipelineTest {
  private static LocalCluster cluster;
  private static S3Server s3;
  private static Path shared;
  private static TinyRun inputs;
  private static List<Row> localLeaderboard;

  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    assertThat(SparkSession.getDefaultSession().isDefined())
        .as("a SparkSession left open by an earlier test would be reused instead of the cluster's")
        .isFalse();
    shared = SharedModels.require(SharedModels.QWEN35_TINY);
    inputs = TinyRun.write(tmp.resolve("inputs"));
    s3 = S3Server.start("cluster-bucket");
    Configuration hadoop = new Configuration();
    s3.hadoopConf().forEach(hadoop::set);
    ModelStagingTest.upload(shared, s3.uri("models/qwen35-tiny-stories"), hadoop);
    cluster =
        LocalCluster.start(Path.of("target/cluster-pipeline-test"), LocalCluster.Size.twoWorkers());
  }

  @AfterAll
  static void stop() {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (s3 != null) {
        s3.close();
      }
    }
  }

  @Test
  @Order(1)
  void clusterLeaderboardEqualsLocal() {
    Map<Integer, Integer> before = cluster.tasksRunByWorker();
    Map<String, String> conf = new LinkedHashMap<>(cluster.sparkConf());
    // Sessions must find the master on the command line and ship the application jars itself.
    conf.remove("spark.master");
    conf.remove("spark.jars");
    // The forward pass needs the C2 compiler (Vector API intrinsics); LocalCluster's flags for
    // short probe jobs stop at C1, which made the sweep take minutes instead of seconds here.
    conf.put(
        "spark.executor.extraJavaOptions",
        LocalCluster.sparkDefaults().get("spark.executor.extraJavaOptions"));
    conf.putAll(s3.sparkConf());
    // The driver stages the model here; executors stage it under their worker's SPARK_LOCAL_DIRS.
    conf.put("spark.local.dir", tmp.resolve("driver-local").toString());
    String clusterOut = tmp.resolve("cluster-run").toString();
    String localOut = tmp.resolve("local-run").toString();

    int clusterStatus =
        Main.execute(
            inputs
                .runArguments(
                    s3.uri("models/qwen35-tiny-stories"), clusterOut, cluster.masterUrl(), conf)
                .toArray(String[]::new));
    int localStatus =
        Main.execute(
            inputs
                .runArguments(shared.toString(), localOut, "local[2]", Map.of())
                .toArray(String[]::new));

    assertThat(clusterStatus).as("exit status of the run on the cluster").isZero();
    assertThat(localStatus).as("exit status of the run in local mode").isZero();
    List<List<Row>> leaderboards = readLeaderboards(clusterOut, localOut);
    List<Row> clusterLeaderboard = leaderboards.get(0);
    localLeaderboard = leaderboards.get(1);
    assertThat(clusterLeaderboard).hasSize(TinyRun.CONFIGURATIONS);
    assertThat(clusterLeaderboard)
        .as("leaderboard of the cluster run, every column")
        .containsExactlyElementsOf(localLeaderboard);

    Map<Integer, Integer> after = cluster.tasksRunByWorker();
    assertThat(after.get(1) - before.get(1)).as("tasks run by worker 1").isPositive();
    assertThat(after.get(2) - before.get(2)).as("tasks run by worker 2").isPositive();
    for (int worker = 1; worker <= 2; worker++) {
      assertThat(cluster.executorLogLines(worker, "(spark.executor.cores)"))
          .as("executors of worker %d sized the engine's pool to spark.executor.cores", worker)
          .isPositive();
      assertThat(cluster.executorLogLines(worker, "The engine's pool already runs"))
          .as("executors of worker %d that started the pool too early", worker)
          .isZero();
    }
    String modelId =
        localLeaderboard.get(0).getString(localLeaderboard.get(0).fieldIndex("model_id"));
    for (int worker = 1; worker <= 2; worker++) {
      Path manifest =
          cluster
              .stateDir()
              .resolve(
                  "local/worker-"
                      + worker
                      + "/bitsweep-models/"
                      + modelId
                      + "/"
                      + ModelStaging.MANIFEST);
      assertThat(manifest).as("model staged on worker " + worker).isRegularFile();
    }
  }

  @Test
  @Order(2)
  void writeMlxOnMacWritesChosenRank() throws Exception {
    assertThat(localLeaderboard).as("leaderboard of the local run of the first test").isNotNull();
    Path output = tmp.resolve("mac/mlx-rank-3");

    Scripts.Result result =
        Scripts.run(
            Duration.ofMinutes(5),
            "write-mlx-on-mac",
            List.of(
                "--leaderboard", tmp.resolve("local-run").toString(),
                "--model", shared.toString(),
                "--output", output.toString(),
                "--rank", "3"));

    assertThat(result.exitCode()).as("exit status; output:%n%s", result.output()).isZero();
    assertThat(result.output())
        .contains("write-mlx-on-mac: mlx_lm not installed; skipping the load test");
    Row third = localLeaderboard.get(2);
    assertThat(third.getInt(third.fieldIndex("rank"))).isEqualTo(3);
    try (MlxModel mlx = MlxReader.open(output)) {
      assertThat(mlx.tensorBytes())
          .as("MLX tensor bytes of rank 3, " + third.getString(third.fieldIndex("label")))
          .isEqualTo(third.getLong(third.fieldIndex("size_bytes")));
    }
    assertThat(Files.readString(output.resolve("config.json"))).contains("\"quantization\"");
  }

  @Test
  @Order(3)
  void submitScriptLeaderboardEqualsLocal() {
    assertThat(localLeaderboard).as("leaderboard of the local run of the first test").isNotNull();
    String jobsJar =
        cluster.applicationJars().stream()
            .filter(jar -> jar.endsWith("bitsweep-jobs.jar"))
            .findFirst()
            .orElseThrow();
    String otherJars =
        String.join(
            ",", cluster.applicationJars().stream().filter(jar -> !jar.equals(jobsJar)).toList());
    String out = tmp.resolve("submit-run").toString();
    List<String> args = new java.util.ArrayList<>(List.of(
        "submit",
        "--master", cluster.masterUrl(),
        "--deploy-mode", "client",
        "--jars", otherJars,
        "--conf", "spark.executor.cores=1",
        "--conf", "spark.executor.memory=512m",
        "--conf", "spark.cores.max=2",
        "--conf", "spark.ui.enabled=false",
        "--"));
    List<String> run = inputs.runArguments(shared.toString(), out, cluster.masterUrl(), Map.of());
    // submit takes the master from spark-submit's own option, so drop run's --master.
    int master = run.indexOf("--master");
    run.remove(master + 1);
    run.remove(master);
    args.addAll(run);

    Scripts.Result result =
        Scripts.run(
            Duration.ofMinutes(8), "bitsweep", args, Map.of("BITSWEEP_JAR", jobsJar));

    assertThat(result.exitCode()).as("exit status; output:%n%s", result.output()).isZero();
    List<Row> submitted = readLeaderboards(out).get(0);
    assertThat(submitted)
        .as("leaderboard of the spark-submit run, every column")
        .containsExactlyElementsOf(localLeaderboard);
  }

  /** Reads the leaderboard rows of each output folder, rank 1 first, in one local session. */
  private static List<List<Row>> readLeaderboards(String... outs) {
    SparkSession spark =
        Sessions.getOrCreate("ClusterPipelineTest", new SparkOptions("local[1]", Map.of()));
    try {
      List<List<Row>> boards = new java.util.ArrayList<>();
      for (String out : outs) {
        boards.add(
            new TableStore(spark, out).read(Table.LEADERBOARD).orderBy("rank").collectAsList());
      }
      return boards;
    } finally {
      spark.stop();
    }
  }
}
