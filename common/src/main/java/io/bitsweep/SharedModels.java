package io.bitsweep;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the small real models kept beside the repository in {@code ../shared/models}. Tests and
 * the default {@code run} command read them from there; they are never copied into the project.
 */
public final class SharedModels {
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

  /** Returns {@code <repository>/../shared/models/<name>} if that folder exists, else null. */
  public static Path find(String name) {
    Path path;
    try {
      path = repositoryRoot().resolveSibling("shared").resolve("models").resolve(name).normalize();
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
      Path expected = repositoryRoot().resolveSibling("shared").resolve("models").resolve(name).normalize();
      throw new IllegalStateException(
          "Missing test model " + expected + ": the tests read the shared models that sit beside"
              + " the repository in ../shared/models; check out shared/ next to the repository");
    }
    return path;
  }
}
