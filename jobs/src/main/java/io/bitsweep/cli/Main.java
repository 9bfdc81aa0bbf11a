package io.bitsweep.cli;

import io.bitsweep.FileErrors;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.SparkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bitsweep} command line: one subcommand per pipeline step plus engine tools. */
@Command(
    name = "bitsweep",
    mixinStandardHelpOptions = true,
    version = "bitsweep 0.1.0",
    description =
        "Finds the mixed-bit MLX quantization of a Qwen3.5 model that loses the least information"
            + " for its size, by measuring KL divergence against the bf16 model on Spark.",
    subcommands = {
      RunCommand.class,
      CalibrateCommand.class,
      ReferenceCommand.class,
      SweepCommand.class,
      RankCommand.class,
      SelectCommand.class,
      WriteMlxCommand.class,
      LeaderboardCommand.class,
      PlanCommand.class,
      InspectCommand.class,
      LogitsCommand.class,
      GenerateCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  private static final java.util.Set<String> SPARK_STEPS =
      java.util.Set.of("run", "calibrate", "reference", "sweep", "rank", "select", "leaderboard");

  /** Spark steps that may create their output folder. */
  private static final java.util.Set<String> CREATING_STEPS = java.util.Set.of("run", "calibrate");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * netlib's logger. Without a native BLAS it prints a two-line warning on the console that reads
   * like an error, so only its severe messages pass; Gemm logs the implementation in use instead.
   * The field keeps the configured logger from being garbage-collected.
   */
  private static final java.util.logging.Logger NETLIB_LOG =
      java.util.logging.Logger.getLogger("dev.ludovic.netlib");

  static {
    NETLIB_LOG.setLevel(java.util.logging.Level.SEVERE);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit status (0 on success). */
  public static int execute(String... args) {
    routeLogFile(args);
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setExecutionExceptionHandler(Main::reportFailure);
    return commandLine.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  /**
   * Prints a failure as one line on stderr (the stack trace goes to the log file) and returns
   * exit status 1.
   */
  private static int reportFailure(
      Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    Logger log = LoggerFactory.getLogger(Main.class);
    log.error("{} failed", commandLine.getCommandName(), e);
    PrintWriter err = commandLine.getErr();
    err.printf(Locale.ROOT, "bitsweep %s: %s%n", commandLine.getCommandName(), messageOf(e));
    err.flush();
    return 1;
  }

  /**
   * Returns the one-line message printed for a failure. A failed Spark job wraps the task's
   * exception in a {@link SparkException} whose message repeats the task's stack trace, so the
   * task's own message is printed instead. A file-system error, such as a missing or unreadable
   * file, is named with what to check.
   */
  static String messageOf(Throwable e) {
    Throwable cause = e;
    String prefix = "";
    while (cause instanceof SparkException && cause.getCause() != null) {
      cause = cause.getCause();
      prefix = "Spark task failed: ";
    }
    while (cause.getMessage() == null && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof FileSystemException fileError) {
      return prefix + FileErrors.describe(fileError);
    }
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    return prefix + withoutStackTrace(message);
  }

  /** Cuts a message before the stack trace that Spark appends to a failed job's message. */
  private static String withoutStackTrace(String message) {
    int end = message.length();
    for (String start : new String[] {"\n\tat ", "\nDriver stacktrace:"}) {
      int index = message.indexOf(start);
      if (index >= 0 && index < end) {
        end = index;
      }
    }
    return message.substring(0, end).strip();
  }

  /**
   * Sends the detailed log (Spark's INFO included) to {@code <out>/logs/bitsweep.log} when the
   * command writes to a local output folder, before anything initialises logging.
   */
  private static void routeLogFile(String[] args) {
    if (System.getProperty("bitsweep.log.file") != null) {
      return;
    }
    // write-mlx's --out is the model folder itself, which must hold nothing else.
    if (args.length == 0 || !SPARK_STEPS.contains(args[0])) {
      return;
    }
    String out = outOption(args);
    if (out == null || out.contains("://")) {
      return;
    }
    Path folder = Path.of(out).toAbsolutePath();
    // Steps that read earlier tables reject a missing folder, so they must not create it here.
    if (!CREATING_STEPS.contains(args[0]) && !Files.isDirectory(folder)) {
      return;
    }
    Path logs = folder.resolve("logs");
    try {
      Files.createDirectories(logs);
      System.setProperty("bitsweep.log.file", logs.resolve("bitsweep.log").toString());
    } catch (java.io.IOException e) {
      // Logging falls back to the temporary folder; the command itself reports the bad path.
    }
  }

  /** Returns the value of {@code --out DIR} or {@code --out=DIR}, or null without one. */
  private static String outOption(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--out") && i + 1 < args.length) {
        return args[i + 1];
      }
      if (args[i].startsWith("--out=")) {
        return args[i].substring("--out=".length());
      }
    }
    return null;
  }
}
