package io.bitsweep.cli;

import io.bitsweep.awq.ActivationStats;
import io.bitsweep.awq.AwqWeights;
import io.bitsweep.jobs.ActivationStatsTable;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import org.apache.spark.sql.SparkSession;
import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.quant.QuantConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "write-mlx",
    mixinStandardHelpOptions = true,
    description = {
      "Quantize a model with a configuration and write an MLX model folder that mlx_lm.load",
      "accepts, bit-exact with MLX's CPU quantizer. Runs on any JVM, no Spark needed."
    })
final class WriteMlxCommand implements Callable<Integer> {
  @Mixin ModelMixin model = new ModelMixin();

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "Configuration JSON.")
  Path config;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "MLX model folder to create.")
  Path out;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Option(
      names = "--activation-stats",
      paramLabel = "DIR",
      description = {
        "Output folder of the sweep whose activation_stats table AWQ settings use",
        "(local or a Hadoop URI); needed when the configuration asks for AWQ."
      })
  String activationStats;

  @Mixin SparkMixin spark = new SparkMixin();

  @Override
  public Integer call() throws Exception {
    QuantConfig parsed = QuantConfig.parse(Files.readString(config), config.toString());
    ActivationStats stats = null;
    if (activationStats != null) {
      ModelRef ref = ModelRef.resolve(model.resolve().toString());
      try (SparkSession session = Sessions.getOrCreate("bitsweep write-mlx", spark.options())) {
        stats = ActivationStatsTable.stats(ActivationStatsTable.read(new TableStore(session, activationStats), ref));
      }
    }
    MlxWriter.Summary summary = write(model.resolve(), parsed, out, overwrite, stats);
    System.out.println(summary);
    return 0;
  }

  /** Writes the MLX folder; {@code stats} (may be null) feeds the AWQ settings. */
  static MlxWriter.Summary write(
      Path modelDir, QuantConfig config, Path out, boolean overwrite, ActivationStats stats) {
    MlxWriter.Options options =
        MlxWriter.Options.defaults()
            .withOverwrite(overwrite ? MlxWriter.OverwriteMode.REPLACE : MlxWriter.OverwriteMode.FAIL_IF_EXISTS);
    if (stats != null) {
      try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
        QuantPlan plan =
            QuantPlan.resolve(
                config, checkpoint.tensors(), QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()));
        ModelConfig modelConfig = ModelConfig.fromJson(checkpoint.configJson(), modelDir.toString());
        options = options.withWeightTransform(AwqWeights.writerTransform(modelConfig, plan, stats));
      }
    }
    long start = System.nanoTime();
    MlxWriter.Summary summary = MlxWriter.write(modelDir, config, out, options);
    Progress.LOG.info(
        "write-mlx: {} in {}", summary, Progress.format((System.nanoTime() - start) / 1e9));
    return summary;
  }
}
