package io.bitsweep.cli;

import io.bitsweep.SharedModels;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --model} option, defaulting to the trained tiny Qwen3.5 model beside the repository. */
final class ModelMixin {
  @Option(
      names = "--model",
      paramLabel = "DIR",
      description = "Hugging Face model folder (default: ../shared/models/qwen35-tiny-stories).")
  Path model;

  /**
   * Returns the model folder, or the shared tiny model when none was given.
   *
   * @throws IllegalArgumentException when neither exists
   */
  Path resolve() {
    if (model != null) {
      return model;
    }
    Path shared = SharedModels.find(SharedModels.QWEN35_TINY);
    if (shared == null) {
      throw new IllegalArgumentException(
          "No --model given and the default model ../shared/models/" + SharedModels.QWEN35_TINY
              + " beside the repository is missing; pass --model DIR");
    }
    return shared;
  }
}
