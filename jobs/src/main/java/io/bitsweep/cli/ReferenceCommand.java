package io.bitsweep.cli;

import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.ReferenceJob;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "reference",
    mixinStandardHelpOptions = true,
    description = "Run the unquantized model over the calibration table and store its distributions.")
final class ReferenceCommand extends SparkCommand {
  @Mixin ModelMixin model = new ModelMixin();

  @Option(
      names = "--top-k",
      defaultValue = "" + ReferenceEncoding.DEFAULT_TOP_K,
      description = "Most probable tokens kept per position in compact form (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--tail-samples",
      defaultValue = "" + ReferenceEncoding.DEFAULT_TAIL_SAMPLES,
      description =
          "Tokens sampled per position from the mass outside the top-k, for an unbiased KLD estimate;"
              + " 0 stores the plain top-k form, a lower bound (default: ${DEFAULT-VALUE}).")
  int tailSamples;

  @Option(names = "--full-logprobs", description = "Store every log-probability instead of the compact form.")
  boolean full;

  @Override
  String step() {
    return "reference";
  }

  private ModelRef ref;
  private ReferenceEncoding encoding;

  /** Resolves the model and checks the encoding options against its vocabulary. */
  @Override
  void prepare() {
    ref = model.ref(spark);
    if (full) {
      encoding = ReferenceEncoding.full();
    } else {
      encoding = compactEncoding(topK, tailSamples, ref.localPath());
    }
  }

  @Override
  void run(TableStore store) {
    long rows = ReferenceJob.run(store, new ReferenceJob.Options(ref, store.root(), encoding));
    Progress.LOG.info("reference: {} scored positions stored", rows);
  }

  /**
   * Returns the compact encoding that {@code --top-k} and {@code --tail-samples} select, after
   * checking them against the vocabulary size in the model's {@code config.json}, so a bad value
   * fails before Spark starts instead of in every task.
   *
   * @throws IllegalArgumentException naming the option, the value and the valid range
   */
  static ReferenceEncoding compactEncoding(int topK, int tailSamples, Path modelDir) {
    String configFile = modelDir.resolve("config.json").toString();
    int vocab = ModelConfig.fromJson(Checkpoint.readConfigJson(modelDir), configFile).vocabSize();
    if (topK < 1 || topK > vocab) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Invalid --top-k %d: expected 1 to %d, the vocab_size of %s; pass a value in that"
                  + " range (default %d)",
              topK,
              vocab,
              configFile,
              ReferenceEncoding.DEFAULT_TOP_K));
    }
    if (tailSamples < 0) {
      throw new IllegalArgumentException(
          "Invalid --tail-samples "
              + tailSamples
              + ": expected 0 (the plain top-k form) or more (default "
              + ReferenceEncoding.DEFAULT_TAIL_SAMPLES
              + ")");
    }
    // More samples than tokens add no information, and each costs 8 bytes per scored position,
    // so 100,000 need an estimated 23 GB for the 28,489 positions of the default calibration mix.
    if (tailSamples > vocab) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Invalid --tail-samples %d: expected at most %d, the vocab_size of %s (default %d)",
              tailSamples,
              vocab,
              configFile,
              ReferenceEncoding.DEFAULT_TAIL_SAMPLES));
    }
    return ReferenceEncoding.compact(topK, tailSamples);
  }
}
