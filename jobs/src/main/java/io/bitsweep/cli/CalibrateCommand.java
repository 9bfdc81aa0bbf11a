package io.bitsweep.cli;

import io.bitsweep.SharedModels;
import io.bitsweep.calibration.CalibrationLoader;
import io.bitsweep.calibration.CalibrationSet;
import io.bitsweep.calibration.LengthPolicy;
import io.bitsweep.calibration.ScoreMode;
import io.bitsweep.jobs.CalibrateJob;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.TableStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description = "Render, tokenize and shard calibration samples into the calibration table.")
final class CalibrateCommand extends SparkCommand {
  @Mixin ModelMixin model = new ModelMixin();
  @Mixin CalibrationMixin calibration = new CalibrationMixin();

  @Override
  boolean createsOutput() {
    return true;
  }

  @Override
  String step() {
    return "calibrate";
  }

  private CalibrateJob.Options options;
  private CalibrationSet set;

  @Override
  void prepare() throws IOException {
    options = calibration.options(model.ref(spark));
    set = CalibrateJob.load(options);
  }

  @Override
  void run(TableStore store) {
    CalibrateJob.write(store, options, set);
  }

  /** Calibration options shared by {@code calibrate} and {@code run}. */
  static final class CalibrationMixin {
    @Option(
        names = "--calibration",
        paramLabel = "FILE",
        description = "JSONL sample files, source files or folders; repeatable (default: conf/calibration/*.jsonl).")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--shards", defaultValue = "4", description = "Calibration shards (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(
        names = "--max-length",
        defaultValue = "" + CalibrationLoader.DEFAULT_MAX_LENGTH,
        description = "Tokens per sample at most (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(
        names = "--long-samples",
        defaultValue = "TRUNCATE",
        description = "TRUNCATE (and count) or REJECT samples over --max-length (default: ${DEFAULT-VALUE}).")
    LengthPolicy lengthPolicy;

    @Option(
        names = "--score",
        defaultValue = "ASSISTANT",
        description = "ASSISTANT turns only, or ALL positions (default: ${DEFAULT-VALUE}).")
    ScoreMode scoreMode;

    CalibrateJob.Options options(ModelRef model) throws IOException {
      List<Path> files = inputs.isEmpty() ? defaultMix() : inputs;
      return new CalibrateJob.Options(model, files, maxLength, lengthPolicy, scoreMode, shards);
    }

    private static List<Path> defaultMix() throws IOException {
      Path folder = SharedModels.repositoryRoot().resolve("conf/calibration");
      try (Stream<Path> files = Files.list(folder)) {
        return files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
      }
    }
  }
}
