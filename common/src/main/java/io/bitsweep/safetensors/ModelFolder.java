package io.bitsweep.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The rule for symbolic links in a model folder. A file bitsweep reads or copies from a model
 * folder must, after symbolic links are followed, lie inside that folder. The one exception is the Hugging
 * Face hub cache, whose snapshot folders ({@code models--org--name/snapshots/<revision>/}) hold
 * only links into the repository's {@code blobs/} folder. A model fetched with git can hold links
 * to any file, such as {@code ~/.aws/credentials}, and the MLX writer would copy such a file into
 * the model it publishes.
 */
public final class ModelFolder {
  private ModelFolder() {}

  /**
   * Checks that {@code file}, a path inside {@code folder}, does not lead outside it through a
   * symbolic link.
   *
   * @throws CheckpointException naming the file, its target and the folder, when the link leads
   *     elsewhere than the folder or its hub cache blobs
   */
  public static void requireInside(Path folder, Path file) {
    Path realFolder;
    Path realFile;
    try {
      realFolder = folder.toRealPath();
      realFile = file.toRealPath();
    } catch (IOException e) {
      throw new CheckpointException("Cannot resolve " + file + ": " + e.getMessage() + "; check that the file exists", e);
    }
    if (realFile.startsWith(realFolder) || isHubCacheBlob(realFolder, realFile)) {
      return;
    }
    throw new CheckpointException(
        "Cannot read "
            + file
            + ": it is a symbolic link to "
            + realFile
            + ", outside the model folder "
            + realFolder
            + "; links may point only inside the folder (or into the blobs folder of a Hugging"
            + " Face hub cache), so copy the file into the folder");
  }

  /** Tests whether {@code folder} is {@code <repo>/snapshots/<rev>} and the file is in {@code <repo>/blobs}. */
  private static boolean isHubCacheBlob(Path folder, Path file) {
    Path snapshots = folder.getParent();
    if (snapshots == null
        || snapshots.getFileName() == null
        || !snapshots.getFileName().toString().equals("snapshots")
        || snapshots.getParent() == null) {
      return false;
    }
    Path blobs = snapshots.getParent().resolve("blobs");
    return blobs.equals(file.getParent());
  }
}
