package io.bitsweep.cli;

import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description = {
      "Print the final setting of every tensor that a configuration gives a model, and the exact"
          + " size of the MLX model it produces.",
      "Rules that match no tensor are errors."
    })
final class PlanCommand implements Callable<Integer> {
  @Mixin ModelMixin model = new ModelMixin();

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "Configuration JSON.")
  Path config;

  @Override
  public Integer call() throws Exception {
    QuantConfig parsed = QuantConfig.parse(Files.readString(config), config.toString());
    try (Checkpoint checkpoint = Checkpoint.open(model.resolve())) {
      MlxWriter.rejectQuantizedSource(checkpoint.configJson(), checkpoint.directory());
      QuantPlan plan =
          QuantPlan.resolve(
              parsed,
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()));
      System.out.print(plan.report());
    }
    return 0;
  }
}
