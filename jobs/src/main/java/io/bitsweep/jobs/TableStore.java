package io.bitsweep.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Parquet tables of one output folder (a local path or any Hadoop file system URI such as
 * {@code s3a://bucket/run}). Whole-table writes go to a temporary folder first and replace the
 * table only once complete, so a failed job never leaves a half-written table behind.
 */
public final class TableStore {
  private static final Logger LOG = LoggerFactory.getLogger(TableStore.class);

  private final SparkSession spark;
  private final String root;

  public TableStore(SparkSession spark, String root) {
    this.spark = spark;
    this.root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
  }

  /** The output folder. */
  public String root() {
    return root;
  }

  /** Location of a table, {@code <root>/<table name>}. */
  public String location(Table table) {
    return root + "/" + table.tableName();
  }

  /** Location of any other file or folder under the output folder. */
  public String location(String child) {
    return root + "/" + child;
  }

  /** Whether the table has been written (has at least its folder). */
  public boolean exists(Table table) {
    return exists(location(table));
  }

  /** Whether a path exists, through its Hadoop file system. */
  public boolean exists(String location) {
    try {
      Path path = new Path(location);
      return fileSystem(path).exists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot check " + location + ": " + e.getMessage(), e);
    }
  }

  /**
   * Tests whether the table has at least one committed data file. A folder that contains only
   * Hadoop's {@code _temporary} folder was left by a job whose driver died before its first commit.
   */
  public boolean hasData(Table table) {
    Path path = new Path(location(table));
    try {
      FileSystem fs = fileSystem(path);
      if (!fs.exists(path)) {
        return false;
      }
      for (FileStatus status : fs.listStatus(path)) {
        String name = status.getPath().getName();
        if (!name.startsWith("_") && !name.startsWith(".")) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Deletes the {@code _temporary} folder that Hadoop's output committer leaves in a table when
   * the driver dies during a job. It can contain task outputs committed by the dead job, which the
   * next append to the table would publish along with their recomputed copies.
   *
   * <p>NOTE: this also discards the output of a job that is still running, so only one bitsweep
   * command may write an output folder at a time.
   */
  public void discardUncommitted(Table table) {
    String temporary = location(table) + "/_temporary";
    if (exists(temporary)) {
      LOG.warn("Deleting {}: uncommitted output of an earlier run that did not finish", temporary);
      delete(temporary);
    }
  }

  /**
   * Deletes the staging folders of {@code table} that an earlier process left when it died during
   * {@link #replace} (killed, or ended by an out-of-memory error), where no finally block runs.
   * Like {@link #discardUncommitted}, this assumes one command writes an output folder at a time.
   */
  private void discardStaging(Table table) {
    Path rootPath = new Path(root);
    try {
      FileSystem fs = fileSystem(rootPath);
      if (!fs.exists(rootPath)) {
        return;
      }
      String prefix = "_staging-" + table.tableName() + "-";
      for (FileStatus status : fs.listStatus(rootPath, path -> path.getName().startsWith(prefix))) {
        LOG.warn(
            "Deleting {}: staging folder of an earlier run that did not finish", status.getPath());
        fs.delete(status.getPath(), true);
      }
    } catch (IOException e) {
      // Listing fails first when the bucket is missing or the credentials are rejected, so the
      // message is the one a failed write gives.
      throw writeFailure(table, location(table), e);
    }
  }

  /**
   * Reads a table and checks that it has every column of its schema with the right type.
   *
   * @throws IllegalStateException when the table does not exist or has no committed data, or when a
   *     column is missing or has another type, naming the table, the column, both types and the
   *     step that writes the table
   */
  public Dataset<Row> read(Table table) {
    String location = location(table);
    if (!exists(location)) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Cannot read table %s at %s: it does not exist; run `bitsweep %s` first",
              table.tableName(),
              location,
              table.writtenBy()));
    }
    if (!hasData(table)) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Cannot read table %s at %s: it has no committed data, because `bitsweep %s` stopped"
                  + " before its first commit; run `bitsweep %s` again",
              table.tableName(),
              location,
              table.writtenBy(),
              table.writtenBy()));
    }
    Dataset<Row> rows = spark.read().schema(table.schema()).parquet(location);
    checkSchema(table, spark.read().parquet(location).schema());
    return rows;
  }

  private static void checkSchema(Table table, StructType found) {
    for (StructField expected : table.schema().fields()) {
      StructField actual =
          Arrays.stream(found.fields()).filter(f -> f.name().equals(expected.name())).findFirst().orElse(null);
      if (actual == null || !actual.dataType().sameType(expected.dataType())) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "Cannot read table %s: column %s should be %s, found %s; the table was written by"
                    + " another bitsweep version, so rerun `bitsweep %s`",
                table.tableName(),
                expected.name(),
                expected.dataType().simpleString(),
                actual == null ? "no such column" : actual.dataType().simpleString(),
                table.writtenBy()));
      }
    }
  }

  /** Replaces a table with {@code rows}, atomically: readers see the old table or the new one. */
  public void replace(Table table, Dataset<Row> rows) {
    String target = location(table);
    discardStaging(table);
    String staging = location("_staging-" + table.tableName() + "-" + UUID.randomUUID());
    // A failed Spark job throws SparkException, a checked exception that the Scala API does not
    // declare. A catch of RuntimeException misses it, so the flag covers every throwable.
    boolean written = false;
    try {
      write(table, target, rows, SaveMode.ErrorIfExists, staging);
      written = true;
    } finally {
      if (!written) {
        deleteQuietly(staging);
      }
    }
    try {
      Path targetPath = new Path(target);
      Path stagingPath = new Path(staging);
      FileSystem fs = fileSystem(targetPath);
      if (fs.exists(targetPath) && !fs.delete(targetPath, true)) {
        throw new IOException("could not delete the previous table");
      }
      Renames.publish(fs, stagingPath, targetPath);
    } catch (IOException e) {
      deleteQuietly(staging);
      throw new UncheckedIOException("Cannot replace table " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Appends rows to a table. Spark's output committer publishes a job's files only when the job
   * succeeds, and only one attempt of each task, so a retried task adds no rows. A killed job adds
   * none either, once {@link #discardUncommitted} has removed what it left.
   */
  public void append(Table table, Dataset<Row> rows) {
    write(table, location(table), rows, SaveMode.Append, location(table));
  }

  /**
   * Writes rows as Parquet to {@code path}. A file system error (a missing bucket, a rejected
   * secret) becomes a message that names the table and what to check; other failures, such as a
   * failed task, pass unchanged.
   */
  private static void write(Table table, String target, Dataset<Row> rows, SaveMode mode, String path) {
    try {
      rows.write().mode(mode).parquet(path);
    } catch (Exception e) {
      // Spark declares no checked exceptions, but Hadoop's IOExceptions reach here unwrapped.
      if (e instanceof IOException io) {
        throw writeFailure(table, target, io);
      }
      throw e;
    }
  }

  /** Returns the error for a file system failure while writing {@code table} to {@code target}. */
  private static UncheckedIOException writeFailure(Table table, String target, IOException cause) {
    return new UncheckedIOException(
        String.format(
            Locale.ROOT,
            "Cannot write table %s to %s: %s; check --out and, for s3a://, the bucket name,"
                + " the endpoint and the credentials",
            table.tableName(),
            target,
            cause.getMessage()),
        cause);
  }

  /** Deletes a path and everything under it, if it exists. */
  public void delete(String location) {
    try {
      Path path = new Path(location);
      fileSystem(path).delete(path, true);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + location + ": " + e.getMessage(), e);
    }
  }

  private void deleteQuietly(String location) {
    try {
      delete(location);
    } catch (UncheckedIOException ignored) {
      // the original failure is the one worth reporting
    }
  }

  /** The Hadoop file system of a path, configured from the Spark session. */
  public FileSystem fileSystem(Path path) throws IOException {
    return path.getFileSystem(hadoopConf());
  }

  /** The session's Hadoop configuration (S3A settings included). */
  public Configuration hadoopConf() {
    return spark.sparkContext().hadoopConfiguration();
  }

  public SparkSession spark() {
    return spark;
  }
}
