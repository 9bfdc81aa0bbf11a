package io.bitsweep;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the small real models kept beside the repository in {@code ../shared/models}. Tests and
 * the default {@code run} command read them from there; they are never copied into the project. The
 * system property {@value #ROOT_PROPERTY} names another folder to look in instead.
 */
public final class SharedModels {
  /** System property naming the folder that contains the shared models, instead of the default. */
  public static final String ROOT_PROPERTY = "bitsweep.shared.models";

  /** The trained tiny model in the Qwen3.5 checkpoint layout, with golden logits. */
  public static final String QWEN35_TINY = "qwen35-tiny-stories";

  /** The trained TinyStories-656K Llama model. */
  public static final String LLAMA_TINY = "tinystories-656k";

  private SharedModels() {}

  /**
   * Returns the repository root: the {@code bitsweep.home} system property (set by {@code
   * scripts/bitsweep}), or else the nearest folder at or above the working directory that holds
   * both {@code pom.xml} and {@code common/}.
   */
  public static Path repositoryRoot() {
    String home = System.getProperty("bitsweep.home");
    if (home != null && Files.isDirectory(Path.of(home, "common"))) {
      return Path.of(home).toAbsolutePath().normalize();
    }
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("common"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "Cannot find the bitsweep repository root above " + dir
            + "; run from inside the repository or pass --model explicitly");
  }

  /**
   * Returns where the shared model {@code name} is expected, whether or not it exists: {@code
   * <repository>/../shared/models/<name>}, or {@code <root>/<name>} when the system property
   * {@value #ROOT_PROPERTY} is set.
   *
   * @throws IllegalStateException when the property is unset and the repository root cannot be
   *     found
   */
  public static Path expectedPath(String name) {
    String root = System.getProperty(ROOT_PROPERTY);
    Path models =
        root != null && !root.isBlank()
            ? Path.of(root).toAbsolutePath()
            : repositoryRoot().resolveSibling("shared").resolve("models");
    return models.resolve(name).normalize();
  }

  /** Returns the folder of the shared model {@code name} if it exists, else null. */
  public static Path find(String name) {
    Path path;
    try {
      path = expectedPath(name);
    } catch (IllegalStateException e) {
      return null;
    }
    return Files.isDirectory(path) ? path : null;
  }

  /**
   * Returns the shared model folder, failing with a message that says where it was expected.
   *
   * @throws IllegalStateException when the folder is missing
   */
  public static Path require(String name) {
    Path path = find(name);
    if (path == null) {
      Path expected = expectedPath(name);
      throw new IllegalStateException(
          "Missing test model " + expected + ": the tests read the shared models that sit beside"
              + " the repository in ../shared/models; check out shared/ next to the repository");
    }
    return path;
  }
}
