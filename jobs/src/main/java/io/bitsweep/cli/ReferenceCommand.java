package io.bitsweep.cli;

import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.ReferenceJob;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.kld.ReferenceEncoding;
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

  @Override
  void run(TableStore store) {
    ReferenceEncoding encoding = full ? ReferenceEncoding.full() : ReferenceEncoding.compact(topK, tailSamples);
    ModelRef ref = model.ref(spark);
    long rows = ReferenceJob.run(store, new ReferenceJob.Options(ref, store.root(), encoding));
    Progress.LOG.info("reference: {} scored positions stored", rows);
  }
}
