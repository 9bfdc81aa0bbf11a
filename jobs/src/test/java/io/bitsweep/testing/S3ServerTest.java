package io.bitsweep.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.SparkOptions;
import io.bitsweep.jobs.Table;
import io.bitsweep.jobs.TableStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Writes and reads bitsweep tables on {@code s3a://} through {@link TableStore}, against the
 * in-process {@link S3Server}, and checks that neither its secret key nor a wrong one appears in
 * an error message. {@code CredentialsTest} searches the logs and the written objects as well.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class S3ServerTest {
  private static final String BUCKET = "bitsweep-test";
  private static final String WRONG_SECRET = "bitsweep-wrong-secret-6c2f-never-log-me";
  private static final StructType SCHEMA = Table.RESULTS.schema();

  private static S3Server s3;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    s3 = S3Server.start(BUCKET);
    spark = Sessions.getOrCreate("S3ServerTest", new SparkOptions("local[2]", s3.sparkConf()));
  }

  @AfterAll
  static void stop() {
    try {
      if (spark != null) {
        spark.stop();
      }
    } finally {
      if (s3 != null) {
        s3.close();
      }
    }
  }

  @Test
  @Order(1)
  void replaceWritesAndRereadsTable() throws IOException {
    TableStore store = new TableStore(spark, s3.uri("run"));
    assertThat(store.exists(Table.RESULTS)).as("results before the first write").isFalse();

    store.replace(Table.RESULTS, rows(30));
    assertThat(readCanonical(store)).isEqualTo(canonical(TestRows.rows(SCHEMA, 30)));

    // The second replace deletes the first table and renames the staging folder on S3.
    store.replace(Table.RESULTS, rows(12));
    assertThat(readCanonical(store)).isEqualTo(canonical(TestRows.rows(SCHEMA, 12)));

    FileStatus[] children =
        store
            .fileSystem(new org.apache.hadoop.fs.Path(store.root()))
            .listStatus(new org.apache.hadoop.fs.Path(store.root()));
    assertThat(Arrays.stream(children).map(status -> status.getPath().getName()))
        .as("folders under %s after two replaces (no staging folder left)", store.root())
        .containsExactly("results");
  }

  @Test
  @Order(2)
  void missingTableErrorNamesLocation() {
    TableStore store = new TableStore(spark, s3.uri("run"));

    assertThatThrownBy(() -> store.read(Table.LEADERBOARD))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("s3a://" + BUCKET + "/run/leaderboard")
        .hasMessageContaining("does not exist")
        .hasMessageNotContaining(S3Server.SECRET_KEY);
  }

  @Test
  @Order(3)
  void wrongSecretErrorHidesSecret() throws IOException {
    Configuration conf = new Configuration();
    s3.hadoopConf().forEach(conf::set);
    conf.set("fs.s3a.secret.key", WRONG_SECRET);
    conf.set("fs.s3a.attempts.maximum", "1");
    conf.set("fs.s3a.retry.limit", "1");

    Throwable failure;
    try (FileSystem fs = FileSystem.newInstance(URI.create(s3.uri("")), conf)) {
      failure = catchThrowable(() -> fs.listStatus(new org.apache.hadoop.fs.Path(s3.uri("run"))));
    }

    assertThat(failure).as("listing with a wrong secret").isNotNull();
    assertThat(stackTrace(failure))
        .as("messages and stack trace of the rejected request")
        .contains("403")
        .doesNotContain(WRONG_SECRET)
        .doesNotContain(S3Server.SECRET_KEY);
  }

  private static Dataset<Row> rows(int count) {
    return spark.createDataFrame(TestRows.rows(SCHEMA, count), SCHEMA);
  }

  private static List<String> readCanonical(TableStore store) {
    return canonical(store.read(Table.RESULTS).collectAsList());
  }

  private static List<String> canonical(List<Row> rows) {
    return rows.stream().map(TestRows::canonical).sorted().toList();
  }

  private static String stackTrace(Throwable failure) {
    StringWriter text = new StringWriter();
    failure.printStackTrace(new PrintWriter(text));
    return text.toString();
  }
}
