package io.bitsweep.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.tensor.Floats;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Runs Spark jobs from this JVM (client mode) on a two-worker standalone cluster started by {@code
 * scripts/local-cluster}, with bitsweep classes shipped to the executors through {@code
 * spark.jars}. The last test kills a worker, so the order is fixed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterTest {
  private static LocalCluster cluster;
  private static SparkSession spark;
  private static JavaSparkContext jsc;

  /**
   * Observations of one task on its executor. A class, not a record, because Kryo 4.0.3 (Spark
   * 4.2.0's) cannot serialize records.
   */
  static final class TaskProbe implements Serializable {
    final long pid;
    final boolean vectorModule;
    final double bf16Sum;

    TaskProbe(long pid, boolean vectorModule, double bf16Sum) {
      this.pid = pid;
      this.vectorModule = vectorModule;
      this.bf16Sum = bf16Sum;
    }
  }

  @BeforeAll
  static void startCluster() {
    assertThat(SparkSession.getDefaultSession().isDefined())
        .as("a SparkSession left open by an earlier test would be reused instead of the cluster's")
        .isFalse();
    cluster =
        LocalCluster.start(Path.of("target/local-cluster-test"), LocalCluster.Size.twoWorkers());
    SparkConf conf = new SparkConf(false).setAppName("LocalClusterTest");
    cluster.sparkConf().forEach(conf::set);
    spark = SparkSession.builder().config(conf).getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
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
  @Order(1)
  void tasksRunOnBothWorkers() throws Exception {
    Map<Integer, Integer> before = cluster.tasksRunByWorker();
    List<Integer> values = IntStream.range(0, 8_000).boxed().toList();

    List<TaskProbe> probes =
        jsc.parallelize(values, 8).mapPartitions(LocalClusterTest::probe).collect();

    assertThat(probes).hasSize(8);
    double expected = values.stream().mapToDouble(LocalClusterTest::roundTrip).sum();
    assertThat(probes.stream().mapToDouble(probe -> probe.bf16Sum).sum())
        .as("sum of bf16 round trips computed with io.bitsweep.tensor.Floats on the executors")
        .isEqualTo(expected);
    assertThat(probes).allMatch(probe -> probe.vectorModule, "executor has jdk.incubator.vector");

    Set<Long> taskPids = probes.stream().map(probe -> probe.pid).collect(Collectors.toSet());
    List<Long> executorPids = new ArrayList<>(cluster.executorPids(1));
    executorPids.addAll(cluster.executorPids(2));
    assertThat(taskPids).as("JVMs that ran tasks").hasSize(2);
    assertThat(executorPids).as("executor JVMs of the two workers").containsAll(taskPids);

    Map<Integer, Integer> ran = awaitTaskCount(before, 8);
    assertThat(ran.get(1)).as("tasks run by worker 1").isPositive();
    assertThat(ran.get(2)).as("tasks run by worker 2").isPositive();
  }

  @Test
  @Order(2)
  void jobSurvivesKilledWorker() throws Exception {
    Map<Integer, Integer> before = cluster.tasksRunByWorker();
    CompletableFuture<Long> job =
        CompletableFuture.supplyAsync(
            () ->
                jsc.parallelize(IntStream.range(0, 12).boxed().toList(), 12)
                    .map(LocalClusterTest::slowly)
                    .count());
    awaitTasks(() -> cluster.tasksRun(2) > before.get(2), "a task on worker 2");

    cluster.killWorker(2);

    assertThat(cluster.isWorkerAlive(2)).as("worker 2 after killWorker").isFalse();
    assertThat(job.get(90, TimeUnit.SECONDS))
        .as("rows counted despite the lost worker")
        .isEqualTo(12);
    int startedOnWorker2 = cluster.tasksRun(2) - before.get(2);
    assertThat(cluster.tasksRun(1) - before.get(1))
        .as("tasks worker 1 ran: every task worker 2 did not start, plus reruns of the lost ones")
        .isGreaterThanOrEqualTo(12 - startedOnWorker2);
  }

  private static Iterator<TaskProbe> probe(Iterator<Integer> values) throws InterruptedException {
    // Long enough that one executor cannot take every task before the other asks for one.
    Thread.sleep(300);
    double sum = 0;
    while (values.hasNext()) {
      sum += roundTrip(values.next());
    }
    boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    return List.of(new TaskProbe(ProcessHandle.current().pid(), vector, sum)).iterator();
  }

  private static double roundTrip(int value) {
    return Floats.bf16ToFloat(Floats.floatToBf16(value * 1.001f));
  }

  private static int slowly(int value) throws InterruptedException {
    Thread.sleep(300);
    return value;
  }

  /** Waits until the workers' executor logs show {@code count} more started tasks. */
  private static Map<Integer, Integer> awaitTaskCount(Map<Integer, Integer> before, int count)
      throws InterruptedException {
    awaitTasks(
        () ->
            difference(cluster.tasksRunByWorker(), before).values().stream().mapToInt(i -> i).sum()
                >= count,
        count + " task start lines in the executor logs");
    return difference(cluster.tasksRunByWorker(), before);
  }

  private static Map<Integer, Integer> difference(
      Map<Integer, Integer> now, Map<Integer, Integer> before) {
    return now.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue() - before.get(e.getKey())));
  }

  private static void awaitTasks(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime())
          .as("timed out after 30 s waiting for " + what)
          .isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
