package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Model and table paths come only from the command line and the Spark configuration. The test
 * lists every environment variable and system property that the main sources of both modules read,
 * and compares the list with the reviewed one below. None of them names a model or a table, apart
 * from the two that locate the default shared model when no --model is given.
 */
class ConfigurationSourcesTest {
  /** Reads that were reviewed: file name, then the variable or property read. */
  private static final List<String> REVIEWED =
      List.of(
          // Repository root, for the default spec, calibration mix and shared tiny model.
          "SharedModels.java: System.getProperty(\"bitsweep.home\")",
          // Another folder of shared models, used by tests to make the default model absent.
          "SharedModels.java: System.getProperty(ROOT_PROPERTY)",
          // Checked so that DJL stays offline: a false value is rejected.
          "DjlOffline.java: System.getenv(\"DJL_OFFLINE\")",
          // Matrix product backend and worker threads of the engine.
          "Gemm.java: System.getProperty(BACKEND_PROPERTY)",
          "Parallel.java: System.getProperty(THREADS_PROPERTY)",
          // An explicit thread count wins over the executor's spark.executor.cores.
          "ExecutorThreads.java: System.getProperty(Parallel.THREADS_PROPERTY)",
          // Log file location, set by the CLI itself from --out.
          "Main.java: System.getProperty(\"bitsweep.log.file\")",
          // The notebook kernel compiles cells against the JVM's own class path.
          "JShellKernel.java: System.getProperty(\"java.class.path\")",
          // Scratch folder for the jars packed from class folders for spark.jars.
          "ApplicationJars.java: System.getProperty(\"java.io.tmpdir\")",
          // Where models from s3a:// and other remote file systems are copied: Spark's local dirs.
          "ModelStaging.java: System.getenv(\"SPARK_LOCAL_DIRS\")",
          "ModelStaging.java: System.getProperty(\"java.io.tmpdir\")",
          // Notebooks take the output folder to read from BITSWEEP_OUT, or the repository's runs/.
          "OutputFolder.java: System.getenv()",
          "OutputFolder.java: System.getProperty(\"bitsweep.home\")");

  private static final Pattern READ =
      Pattern.compile("System\\.(getenv|getProperty)\\([^)]*\\)|(Boolean|Integer|Long)\\.get\\w+\\([^)]*\\)");

  @Test
  void onlyReviewedSettingsAreRead() throws IOException {
    Path root = SharedModels.repositoryRoot();
    List<String> found = new ArrayList<>();
    for (String module : List.of("common", "jobs")) {
      try (Stream<Path> files = Files.walk(root.resolve(module).resolve("src/main/java"))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
          Matcher matcher = READ.matcher(Files.readString(file));
          while (matcher.find()) {
            found.add(file.getFileName() + ": " + matcher.group());
          }
        }
      }
    }
    assertThat(found).as("environment and system property reads in main sources").containsExactlyInAnyOrderElementsOf(REVIEWED);
  }
}
