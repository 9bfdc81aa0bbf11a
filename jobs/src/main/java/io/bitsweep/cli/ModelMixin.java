package io.bitsweep.cli;

import io.bitsweep.SharedModels;
import io.bitsweep.jobs.ModelRef;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --model} option, defaulting to the trained tiny Qwen3.5 model beside the repository.
 */
final class ModelMixin {
  @Option(
      names = "--model",
      paramLabel = "DIR|URI",
      description = {
        "Hugging Face model folder: a local path, or a Hadoop URI such as"
            + " s3a://bucket/models/qwen,",
        "which is copied to local disk once per machine (default:"
            + " ../shared/models/qwen35-tiny-stories)."
      })
  String model;

  /**
   * Returns the model location as given, or the shared tiny model's folder when none was given.
   *
   * @throws IllegalArgumentException when neither exists
   */
  String location() {
    if (model != null) {
      return model;
    }
    Path shared = SharedModels.find(SharedModels.QWEN35_TINY);
    if (shared == null) {
      throw new IllegalArgumentException(
          "No --model given and the default model ../shared/models/"
              + SharedModels.QWEN35_TINY
              + " beside the repository is missing; pass --model DIR");
    }
    return shared.toString();
  }

  /**
   * Resolves the model: hashes a local folder, or stages a remote one with this command's Spark
   * settings ({@code spark.*} system properties and {@code --conf}), so it works before Spark
   * starts.
   */
  ModelRef ref(SparkMixin spark) {
    return ModelRef.resolve(location(), spark.sparkConf());
  }

  /**
   * Returns a local folder holding the model: the folder itself, or the staged copy of a remote one
   * (read with the {@code spark.hadoop.*} system properties).
   */
  Path resolve() {
    String location = location();
    return ModelRef.isRemote(location) ? ModelRef.resolve(location).localPath() : Path.of(location);
  }
}
