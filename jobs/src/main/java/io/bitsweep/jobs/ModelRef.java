package io.bitsweep.jobs;

import io.bitsweep.safetensors.Checkpoint;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model a job runs, as the driver resolved it: where executors find it and its id.
 *
 * @param location the model folder (a local path)
 * @param modelId the folder name and the first 16 hex digits of its content hash, {@code
 *     name@hash}; every table stores it so that tables of different models are never mixed
 */
public record ModelRef(String location, String modelId) implements Serializable {
  public ModelRef {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("Model location is empty; pass --model DIR");
    }
    if (modelId == null || !modelId.contains("@")) {
      throw new IllegalArgumentException("Invalid model id \"" + modelId + "\": expected name@hash");
    }
  }

  /**
   * Resolves a local model folder on the driver, hashing its content.
   *
   * @throws IllegalArgumentException when the folder does not exist
   */
  public static ModelRef resolve(String location) {
    if (location.contains("://") && !location.startsWith("file:")) {
      throw new UnsupportedOperationException(
          "Cannot read the model from " + location + ": only local model folders are supported;"
              + " copy the model to local disk first");
    }
    Path path = Path.of(location.startsWith("file:") ? location.substring(5) : location).toAbsolutePath().normalize();
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(
          "Model folder " + path + " does not exist; pass --model with a Hugging Face model folder");
    }
    String hash = Checkpoint.contentHash(path);
    return new ModelRef(path.toString(), path.getFileName() + "@" + hash.substring(0, 16));
  }

  /** The model's short name (its folder name). */
  public String name() {
    return modelId.substring(0, modelId.lastIndexOf('@'));
  }

  /** The local folder executors read. */
  public Path localPath() {
    return Path.of(location);
  }
}
