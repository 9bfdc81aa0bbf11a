package io.bitsweep.reliability;

import io.bitsweep.testing.Scripts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@code bitsweep} in a JVM of its own, the way {@code scripts/bitsweep} does (the flags of
 * {@code conf/jvm.options}, then {@code io.bitsweep.cli.Main}), with this test JVM's class path so
 * that no build runs, and the logging configuration users get.
 */
final class ChildJvm {
  private ChildJvm() {}

  /** Starts {@code bitsweep args...}, its stdout and stderr going to {@code output}. */
  static Process start(Path output, String... args) {
    return start(output, List.of(), args);
  }

  /**
   * Starts {@code bitsweep args...} like {@link #start(Path, String...)}, adding {@code jvmOptions}
   * (such as {@code -Xmx64m}) after every other JVM flag, so that they override those flags.
   */
  static Process start(Path output, List<String> jvmOptions, String... args) {
    Path root = Scripts.repositoryRoot();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    try {
      for (String line : Files.readAllLines(root.resolve("conf/jvm.options"))) {
        if (!line.isBlank() && !line.strip().startsWith("#")) {
          command.add(line.strip());
        }
      }
      // Test-only flags that start a short-lived JVM faster, as LocalCluster does for executors.
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-XX:+UseSerialGC");
      command.add("-Dbitsweep.home=" + root);
      // The test class path also contains log4j2-test.properties, which would win over the real one.
      command.add(
          "-Dlog4j2.configurationFile="
              + root.resolve("jobs/target/classes/log4j2.properties").toUri());
      command.addAll(jvmOptions);
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add("io.bitsweep.cli.Main");
      command.addAll(List.of(args));
      return new ProcessBuilder(command)
          .directory(root.toFile())
          .redirectErrorStream(true)
          .redirectOutput(output.toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + String.join(" ", command), e);
    }
  }
}
