package io.bitsweep.cli;

import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.OutputLock;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A subcommand that runs on Spark against the tables of one output folder. */
abstract class SparkCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "Output folder of the tables: a local path or a Hadoop URI such as s3a://bucket/run.")
  String out;

  @Mixin SparkMixin spark = new SparkMixin();

  /** Name of the step, used for the Spark application name and progress lines. */
  abstract String step();

  /**
   * Reads and checks the step's local inputs (model folder, spec, calibration files) before Spark
   * starts, so bad input fails in seconds and leaves no table behind. Steps without such inputs
   * keep this empty default.
   */
  void prepare() throws Exception {}

  /** Runs the step on the given store. */
  abstract void run(TableStore store) throws Exception;

  /**
   * Returns whether the step may create its output folder. Steps that read the tables of
   * an earlier step keep this default, so a mistyped {@code --out} fails before Spark starts.
   */
  boolean createsOutput() {
    return false;
  }

  /**
   * Returns whether the step writes into its output folder, and so must hold the folder's {@link
   * OutputLock}. Steps that only read tables override this.
   */
  boolean writesOutput() {
    return true;
  }

  @Override
  public Integer call() throws Exception {
    long start = System.nanoTime();
    prepare();
    checkOutputFolder();
    try (OutputLock lock = writesOutput() ? OutputLock.acquire(out, "bitsweep " + step()) : null;
        SparkSession session = Sessions.getOrCreate("bitsweep " + step(), spark.options())) {
      // Steps set a more precise group for their own jobs; this one covers the rest.
      session.sparkContext().setJobGroup(step(), step() + ": " + out, false);
      run(new TableStore(session, out));
    }
    Progress.LOG.info("{}: done in {}", step(), Progress.format((System.nanoTime() - start) / 1e9));
    return 0;
  }

  /** Rejects a local {@code --out} that is a file, or that is missing for a step that reads it. */
  private void checkOutputFolder() {
    if (ModelRef.isRemote(out)) {
      return;
    }
    Path folder = Path.of(out);
    if (Files.exists(folder) && !Files.isDirectory(folder)) {
      throw new IllegalArgumentException(
          "Invalid --out " + out + ": it is a file, expected the folder of the tables; choose"
              + " another path");
    }
    if (!Files.exists(folder) && !createsOutput()) {
      throw new IllegalArgumentException(
          "Cannot read the tables in "
              + out
              + ": no such folder; pass the --out of an earlier `bitsweep calibrate` or"
              + " `bitsweep run`");
    }
  }
}
