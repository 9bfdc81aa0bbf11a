package io.bitsweep.cli;

import io.bitsweep.SharedModels;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.model.RandomQwen35;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The {@code --model} option, defaulting to the trained tiny Qwen3.5 model beside the repository,
 * or to a generated random Qwen3.5 model where that one is absent.
 */
final class ModelMixin {
  private static final Logger LOG = LoggerFactory.getLogger(ModelMixin.class);

  @Option(
      names = "--model",
      paramLabel = "DIR|URI",
      description = {
        "Hugging Face model folder: a local path, or a Hadoop URI such as"
            + " s3a://bucket/models/qwen, which is copied to local disk once per machine.",
        "Default: ../shared/models/qwen35-tiny-stories, or where that is missing a random"
            + " Qwen3.5 model generated into target/random-qwen35."
      })
  String model;

  /** The default model this command resolved, so the notice about it is printed once. */
  private String defaultLocation;

  /**
   * Returns the model location as given. Without {@code --model} it returns the shared tiny model's
   * folder, or where that is missing the random Qwen3.5 model of {@link RandomQwen35}, generated on
   * first use, with a notice on stderr.
   *
   * @throws java.io.UncheckedIOException when the random model cannot be generated
   */
  String location() {
    if (model != null) {
      return model;
    }
    if (defaultLocation == null) {
      defaultLocation = defaultModel().toString();
    }
    return defaultLocation;
  }

  private static Path defaultModel() {
    Path shared = SharedModels.find(SharedModels.QWEN35_TINY);
    if (shared != null) {
      return shared;
    }
    // NOTE: executors read a local model folder in place, so on a cluster of several machines
    // this generated folder must exist at the same path on each. Pass --model with a copy on a
    // shared file system or object store there.
    Path random = RandomQwen35.ensure(RandomQwen35.defaultFolder());
    String notice =
        "bitsweep: the shared tiny model was not found at "
            + SharedModels.expectedPath(SharedModels.QWEN35_TINY)
            + "; using a random Qwen3.5 checkpoint at "
            + random
            + " instead, whose results mean nothing about real models (pass --model DIR to use"
            + " a real one)";
    System.err.println(notice);
    LOG.info(notice);
    return random;
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
