package io.bitsweep.cli;

import io.bitsweep.awq.ActivationStats;
import io.bitsweep.awq.AwqWeights;
import io.bitsweep.jobs.ActivationStatsTable;
import io.bitsweep.jobs.HadoopConfs;
import io.bitsweep.jobs.MlxOutput;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "write-mlx",
    mixinStandardHelpOptions = true,
    description = {
      "Quantize a model by a configuration into an MLX folder for mlx_lm.load.",
      "The codes are bit-exact with MLX's CPU quantizer. Runs on any JVM, no Spark needed."
    })
final class WriteMlxCommand implements Callable<Integer> {
  @Mixin ModelMixin model = new ModelMixin();

  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "Configuration JSON.")
  Path config;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR|URI",
      description =
          "MLX model folder to create: a local path, or a Hadoop URI such as"
              + " s3a://bucket/mlx/qwen-4bit, which is written locally, uploaded and renamed into"
              + " place.")
  String out;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Option(
      names = "--activation-stats",
      paramLabel = "DIR",
      description =
          "Output folder of the sweep whose activation_stats table AWQ settings use (local or a"
              + " Hadoop URI); needed when the configuration asks for AWQ.")
  String activationStats;

  /** Spark settings; {@code --conf spark.hadoop.*} also apply to a remote model and output. */
  @Mixin SparkMixin spark = new SparkMixin();

  @Override
  public Integer call() throws Exception {
    QuantConfig parsed = QuantConfig.parse(Files.readString(config), config.toString());
    String location = model.location();
    ModelRef ref = null;
    if (ModelRef.isRemote(location) || activationStats != null) {
      ref = model.ref(spark);
    }
    Path modelDir = ref != null ? ref.localPath() : Path.of(location);
    if (activationStats == null) {
      rejectAwqWithoutStats(modelDir, parsed);
    }
    ActivationStats stats = null;
    if (activationStats != null) {
      try (SparkSession session = Sessions.getOrCreate("bitsweep write-mlx", spark.options())) {
        List<ActivationStatsTable.Entry> entries =
            ActivationStatsTable.read(new TableStore(session, activationStats), ref);
        if (entries.isEmpty()) {
          throw new IllegalArgumentException(
              "Invalid --activation-stats "
                  + activationStats
                  + ": it has no activation_stats table; pass the --out folder of `bitsweep"
                  + " reference` or `bitsweep run` on this model, which records the table");
        }
        stats = ActivationStatsTable.stats(entries);
      }
    }
    Configuration hadoop = HadoopConfs.fromSparkConf(spark.sparkConf());
    write(modelDir, parsed, out, overwrite, stats, hadoop);
    return 0;
  }

  /**
   * Rejects, before anything is written, a configuration that requests AWQ on some tensor of the
   * model when no {@code --activation-stats} was given, naming the option that fixes it.
   */
  private static void rejectAwqWithoutStats(Path modelDir, QuantConfig config) {
    if (config.rules().stream().noneMatch(rule -> rule.setting().awq())) {
      return;
    }
    try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
      QuantPlan plan =
          QuantPlan.resolve(
              config,
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()));
      List<String> groups =
          plan.entries().values().stream()
              .filter(entry -> entry.setting().awq())
              .map(entry -> entry.role().group().configName())
              .distinct()
              .sorted()
              .toList();
      if (!groups.isEmpty()) {
        throw new IllegalArgumentException(
            "Configuration "
                + config.id()
                + " ("
                + config.label()
                + ") requests AWQ on "
                + String.join(", ", groups)
                + ", which needs activation statistics; pass --activation-stats DIR with the --out"
                + " folder of `bitsweep reference` or `bitsweep run` on this model, or remove awq"
                + " from the configuration");
      }
    }
  }

  /**
   * Writes the MLX folder to a local path or a Hadoop URI and logs one progress line; {@code stats}
   * (may be null) feeds the AWQ settings.
   */
  static MlxOutput.Written write(
      Path modelDir,
      QuantConfig config,
      String out,
      boolean overwrite,
      ActivationStats stats,
      Configuration hadoop) {
    MlxWriter.Options options =
        MlxWriter.Options.defaults()
            .withOverwrite(
                overwrite
                    ? MlxWriter.OverwriteMode.REPLACE
                    : MlxWriter.OverwriteMode.FAIL_IF_EXISTS);
    if (stats != null) {
      try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
        QuantPlan plan =
            QuantPlan.resolve(
                config,
                checkpoint.tensors(),
                QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()));
        ModelConfig modelConfig =
            ModelConfig.fromJson(checkpoint.configJson(), modelDir.toString());
        options = options.withWeightTransform(AwqWeights.writerTransform(modelConfig, plan, stats));
      }
    }
    long start = System.nanoTime();
    MlxOutput.Written written = MlxOutput.write(modelDir, config, out, options, hadoop);
    Progress.LOG.info(
        "write-mlx: {} in {}", written, Progress.format((System.nanoTime() - start) / 1e9));
    return written;
  }
}
