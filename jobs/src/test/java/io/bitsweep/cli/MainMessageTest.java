package io.bitsweep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

/** The one line that {@link Main} prints for a failure, for failed Spark jobs in particular. */
class MainMessageTest {
  /** The message of a job aborted by a failed task, from a Spark 4.2 run, shortened. */
  private static final String JOB_ABORTED =
      "Job aborted due to stage failure: Task 0 in stage 5.0 failed 1 times, most recent failure:"
          + " Lost task 0.0 in stage 5.0 (TID 4) (localhost executor driver):"
          + " java.lang.IllegalArgumentException: Invalid top-k size 5000\n"
          + "\tat io.bitsweep.kld.LogitsRow.topK(LogitsRow.java:89)\n"
          + "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
          + "\n"
          + "Driver stacktrace:\n"
          + "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages";

  @Test
  void failedTaskPrintsTaskMessage() {
    IllegalArgumentException task = new IllegalArgumentException("Invalid top-k size 5000");
    SparkException job = new SparkException(JOB_ABORTED, task);

    assertThat(Main.messageOf(new SparkException("Job aborted.", job)))
        .isEqualTo("Spark task failed: Invalid top-k size 5000");
  }

  @Test
  void jobWithoutCauseDropsStackTrace() {
    String message = Main.messageOf(new SparkException(JOB_ABORTED, null));

    assertThat(message).startsWith("Job aborted due to stage failure: Task 0 in stage 5.0");
    assertThat(message).endsWith("java.lang.IllegalArgumentException: Invalid top-k size 5000");
    assertThat(message).doesNotContain("\n");
  }

  @Test
  void otherFailureKeepsItsMessage() {
    IllegalStateException failure =
        new IllegalStateException("wrapper", new IllegalArgumentException("inner"));

    assertThat(Main.messageOf(failure)).isEqualTo("wrapper");
    assertThat(Main.messageOf(new RuntimeException(new IllegalArgumentException("inner"))))
        .isEqualTo("java.lang.IllegalArgumentException: inner");
  }

  @Test
  void missingFileNamesPathAndFix() {
    NoSuchFileException missing = new NoSuchFileException("/tmp/configs/4bit.json");

    assertThat(Main.messageOf(missing))
        .isEqualTo("/tmp/configs/4bit.json: no such file or folder; check the path");
  }

  @Test
  void unreadableFileNamesPathAndFix() {
    AccessDeniedException denied = new AccessDeniedException("/tmp/configs/4bit.json");

    assertThat(Main.messageOf(denied))
        .isEqualTo("/tmp/configs/4bit.json: permission denied; check its permissions");
  }
}
