package io.bitsweep.cli;

import io.bitsweep.jobs.Progress;
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

  @Override
  public Integer call() throws Exception {
    QuantConfig parsed = QuantConfig.parse(Files.readString(config), config.toString());
    MlxWriter.Summary summary = write(model.resolve(), parsed, out, overwrite);
    System.out.println(summary);
    return 0;
  }

  static MlxWriter.Summary write(Path modelDir, QuantConfig config, Path out, boolean overwrite) {
    MlxWriter.Options options =
        MlxWriter.Options.defaults()
            .withOverwrite(overwrite ? MlxWriter.OverwriteMode.REPLACE : MlxWriter.OverwriteMode.FAIL_IF_EXISTS);
    long start = System.nanoTime();
    MlxWriter.Summary summary = MlxWriter.write(modelDir, config, out, options);
    Progress.LOG.info(
        "write-mlx: {} in {}", summary, Progress.format((System.nanoTime() - start) / 1e9));
    return summary;
  }
}
