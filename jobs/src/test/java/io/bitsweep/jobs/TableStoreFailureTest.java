package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table write whose Spark job fails leaves neither the table nor its staging folder, and the
 * next write of that table deletes the staging folders that a dead process left.
 */
class TableStoreFailureTest {
  private static SparkSession spark;

  @TempDir Path out;

  @BeforeAll
  static void start() {
    spark = Sessions.getOrCreate("TableStoreFailureTest", new SparkOptions("local[1]", Map.of()));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void failedJobLeavesNoStagingFolder() throws IOException {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Row> rows =
        jsc.parallelize(List.of(1, 2), 2)
            .map(
                i -> {
                  throw new IllegalStateException("task " + i + " fails on purpose");
                });
    TableStore store = new TableStore(spark, out.toString());
    var failing = spark.createDataFrame(rows, Table.CALIBRATION.schema());

    assertThatThrownBy(() -> store.replace(Table.CALIBRATION, failing))
        .isInstanceOf(SparkException.class)
        .hasStackTraceContaining("fails on purpose");

    try (Stream<Path> entries = Files.list(out)) {
      assertThat(entries.map(p -> p.getFileName().toString()).toList())
          .as("entries of the output folder after the failed write")
          .isEmpty();
    }
  }

  @Test
  void replaceDeletesStagingOfDeadRun() throws IOException {
    Path stale = Files.createDirectories(out.resolve("_staging-calibration-0000").resolve("part"));
    Path other = Files.createDirectories(out.resolve("_staging-reference-0000"));
    TableStore store = new TableStore(spark, out.toString());
    var empty = spark.createDataFrame(List.<Row>of(), Table.CALIBRATION.schema());

    store.replace(Table.CALIBRATION, empty);

    assertThat(stale.getParent()).as("staging folder of the same table").doesNotExist();
    assertThat(other).as("staging folder of another table").isDirectory();
    assertThat(out.resolve("calibration")).as("the replaced table").isDirectory();
  }
}
