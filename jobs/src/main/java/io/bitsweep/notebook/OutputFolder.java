package io.bitsweep.notebook;

import io.bitsweep.jobs.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The output folder of a bitsweep run that a notebook reads: the environment variable {@value
 * #VARIABLE} when set, else {@code out} in the repository (the folder named by the {@code
 * bitsweep.home} system property, which the kernel spec sets), else {@code out} in the working
 * directory. A relative path is resolved against the kernel's working directory, which Jupyter sets
 * to the notebook's folder.
 */
public final class OutputFolder {
  /** The environment variable that names the output folder: a local path or a Hadoop URI. */
  public static final String VARIABLE = "BITSWEEP_OUT";

  private static final String DEFAULT_CHILD = "out";

  private OutputFolder() {}

  /**
   * Returns the output folder's location: a Hadoop URI as given, or an absolute local path.
   *
   * @throws IllegalStateException when a local folder does not exist, naming the folder and how to
   *     choose another
   */
  public static String location() {
    return resolve(System.getenv(), System.getProperty("bitsweep.home"));
  }

  /** Opens the output folder's tables with {@code spark}. */
  public static TableStore open(SparkSession spark) {
    return new TableStore(spark, location());
  }

  /**
   * Resolves the location from environment variables and the repository folder.
   *
   * @param home the repository folder, or null when unknown
   */
  static String resolve(Map<String, String> environment, String home) {
    String configured = environment.get(VARIABLE);
    boolean fromVariable = configured != null && !configured.isBlank();
    String location;
    if (fromVariable) {
      location = configured.strip();
    } else {
      Path base = home == null ? Path.of("") : Path.of(home);
      location = base.resolve(DEFAULT_CHILD).toAbsolutePath().toString();
    }
    if (location.contains("://")) {
      // A Hadoop URI such as s3a://bucket/run is not checked here, because TableStore reports a
      // missing table when a cell reads it.
      return location;
    }
    location = Path.of(location).toAbsolutePath().normalize().toString();
    if (!Files.isDirectory(Path.of(location))) {
      String source =
          fromVariable ? VARIABLE + " names it" : VARIABLE + " is not set, so the default was used";
      throw new IllegalStateException(
          "Output folder "
              + location
              + " is not a directory ("
              + source
              + "); set "
              + VARIABLE
              + " to the --out folder of a bitsweep run before starting Jupyter, for example "
              + VARIABLE
              + "=/path/to/out jupyter notebook notebooks/");
    }
    return location;
  }
}
