package io.bitsweep.reliability;

import io.bitsweep.cli.Main;
import io.bitsweep.jobs.OutputLock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/** Runs the {@code bitsweep} command line in this JVM and captures its exit status and output. */
final class Cli {
  /**
   * What one command printed.
   *
   * @param status exit status
   * @param stdout standard output
   * @param stderr standard error, where failures appear as {@code bitsweep <cmd>: <message>}
   */
  record Result(int status, String stdout, String stderr) {}

  static {
    // Log4j's console appender keeps the System.err it finds when logging starts. Starting it here
    // keeps log lines out of the captured stderr, so that only what the CLI prints is captured.
    LoggerFactory.getLogger(Cli.class).debug("logging started before stderr is captured");
  }

  private Cli() {}

  /** Runs {@code bitsweep args...} through {@link Main#execute}. */
  static synchronized Result run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
    ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
    int status;
    try {
      System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
      status = Main.execute(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    Result result =
        new Result(
            status,
            capturedOut.toString(StandardCharsets.UTF_8),
            capturedErr.toString(StandardCharsets.UTF_8));
    err.print(result.stderr());
    return result;
  }

  /**
   * Names under {@code folder}, relative to it, without the log folder and the lock file that the
   * CLI creates there.
   */
  static List<String> filesBesideLogs(Path folder) {
    if (!Files.exists(folder)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(folder)) {
      return walk.filter(p -> !p.equals(folder))
          .map(p -> folder.relativize(p).toString())
          .filter(name -> !name.equals("logs") && !name.startsWith("logs/"))
          .filter(name -> !name.equals(OutputLock.FILE_NAME))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
