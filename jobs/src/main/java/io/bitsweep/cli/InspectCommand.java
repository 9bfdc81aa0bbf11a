package io.bitsweep.cli;

import io.bitsweep.mlx.MlxReader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Print every tensor of an MLX model folder with its setting and size.")
final class InspectCommand implements Callable<Integer> {
  @Parameters(paramLabel = "DIR", description = "MLX model folder.")
  Path directory;

  @Override
  public Integer call() {
    System.out.print(MlxReader.inspect(directory));
    return 0;
  }
}
