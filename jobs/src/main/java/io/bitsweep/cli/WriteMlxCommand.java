package io.bitsweep.cli;

import io.bitsweep.jobs.HadoopConfs;
import io.bitsweep.jobs.MlxOutput;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.SparkOptions;
import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.quant.QuantConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
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
      description = {
        "MLX model folder to create: a local path, or a Hadoop URI such as"
            + " s3a://bucket/mlx/qwen-4bit,",
        "which is written locally first, then uploaded and renamed into place."
      })
  String out;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Option(
      names = "--conf",
      paramLabel = "KEY=VALUE",
      description =
          "Hadoop setting as a Spark property, such as spark.hadoop.fs.s3a.endpoint=URL;"
              + " repeatable.")
  List<String> conf = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    QuantConfig parsed = QuantConfig.parse(Files.readString(config), config.toString());
    Configuration hadoop = HadoopConfs.fromSystemProperties(SparkOptions.parseConf(conf));
    String location = model.location();
    Path modelDir =
        ModelRef.isRemote(location)
            ? ModelRef.resolve(location, hadoop).localPath()
            : Path.of(location);
    MlxOutput.Written written = write(modelDir, parsed, out, overwrite, hadoop);
    System.out.println(written);
    return 0;
  }

  /** Writes the MLX model to a local folder or a Hadoop URI and logs one progress line. */
  static MlxOutput.Written write(
      Path modelDir, QuantConfig config, String out, boolean overwrite, Configuration hadoop) {
    MlxWriter.Options options =
        MlxWriter.Options.defaults()
            .withOverwrite(
                overwrite
                    ? MlxWriter.OverwriteMode.REPLACE
                    : MlxWriter.OverwriteMode.FAIL_IF_EXISTS);
    long start = System.nanoTime();
    MlxOutput.Written written = MlxOutput.write(modelDir, config, out, options, hadoop);
    Progress.LOG.info(
        "write-mlx: {} in {}", written, Progress.format((System.nanoTime() - start) / 1e9));
    return written;
  }
}
