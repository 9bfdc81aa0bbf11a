package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLockTest {
  @TempDir Path tmp;

  @Test
  void secondHolderInSameJvmRejected() {
    String out = tmp.resolve("run").toString();

    try (OutputLock first = OutputLock.acquire(out, "bitsweep sweep")) {
      assertThatThrownBy(() -> OutputLock.acquire(out, "bitsweep rank"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "Cannot write to "
                  + out
                  + ": another bitsweep command is using this folder (a command of this"
                  + " process); wait for it to finish, or pass another --out");
    }
    try (OutputLock again = OutputLock.acquire(out, "bitsweep rank")) {
      assertThat(tmp.resolve("run").resolve(OutputLock.FILE_NAME))
          .content()
          .startsWith("bitsweep rank, process ");
    }
  }

  @Test
  void otherProcessBlocksUntilKilled() throws Exception {
    String out = tmp.resolve("run").toString();
    Process holder = startHolder(out);
    try {
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(lines.readLine()).as("first line of the holding JVM").isEqualTo("locked");

      assertThatThrownBy(() -> OutputLock.acquire(out, "bitsweep sweep"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith(
              "Cannot write to "
                  + out
                  + ": another bitsweep command is using this folder (test holder, process "
                  + holder.pid()
                  + "@")
          .hasMessageEndingWith("); wait for it to finish, or pass another --out");
    } finally {
      holder.destroyForcibly();
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).as("holder killed").isTrue();
    }

    try (OutputLock rerun = OutputLock.acquire(out, "bitsweep sweep")) {
      assertThat(tmp.resolve("run").resolve(OutputLock.FILE_NAME))
          .content()
          .startsWith("bitsweep sweep, process " + ProcessHandle.current().pid() + "@");
    }
  }

  @Test
  void remoteFolderNotLocked() {
    try (OutputLock first = OutputLock.acquire("s3a://bucket/run", "bitsweep sweep");
        OutputLock second = OutputLock.acquire("s3a://bucket/run", "bitsweep rank")) {
      assertThat(second).isSameAs(first);
    }
  }

  /** Starts a JVM that takes the lock of {@code out}, prints "locked" and waits to be killed. */
  private static Process startHolder(String out) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            HoldOutputLock.class.getName(),
            out)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }
}
