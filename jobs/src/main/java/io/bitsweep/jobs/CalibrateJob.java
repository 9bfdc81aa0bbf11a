package io.bitsweep.jobs;

import io.bitsweep.Counts;
import io.bitsweep.calibration.CalibrationLoader;
import io.bitsweep.calibration.CalibrationSet;
import io.bitsweep.calibration.CategoryStats;
import io.bitsweep.calibration.LengthPolicy;
import io.bitsweep.calibration.ScoreMode;
import io.bitsweep.calibration.ShardedSample;
import io.bitsweep.calibration.TokenizedSample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The {@code calibrate} step: renders calibration samples with the model's chat template,
 * tokenizes them with its tokenizer, marks the positions to score and assigns shards, on the
 * driver (calibration sets are small), then writes the {@code calibration} table.
 */
public final class CalibrateJob {
  private CalibrateJob() {}

  /**
   * What to run.
   *
   * @param model the model whose tokenizer and chat template are used
   * @param inputs JSONL files, source files or folders of them
   * @param maxLength tokens per sample at most
   * @param lengthPolicy what to do with longer samples
   * @param scoreMode which positions to score
   * @param shards number of shards to assign
   */
  public record Options(
      ModelRef model, List<Path> inputs, int maxLength, LengthPolicy lengthPolicy, ScoreMode scoreMode, int shards) {
    public Options {
      inputs = List.copyOf(inputs);
      if (inputs.isEmpty()) {
        throw new IllegalArgumentException("No calibration files given; pass --calibration FILE");
      }
      if (shards < 1) {
        throw new IllegalArgumentException("Invalid --shards " + shards + ": expected at least 1");
      }
      if (maxLength < 2) {
        throw new IllegalArgumentException(
            "Invalid --max-length "
                + maxLength
                + ": expected at least 2, so that one position has a next token to score");
      }
    }
  }

  /** Runs the step and returns the calibration set it wrote. */
  public static CalibrationSet run(TableStore store, Options options) {
    CalibrationSet set = load(options);
    write(store, options, set);
    return set;
  }

  /**
   * Reads, renders, tokenizes and shards the samples on this JVM, without Spark.
   *
   * @throws io.bitsweep.calibration.CalibrationException naming the file, line or sample of the
   *     first invalid input
   */
  public static CalibrationSet load(Options options) {
    return CalibrationLoader.builder()
        .model(options.model().localPath())
        .inputs(options.inputs())
        .maxLength(options.maxLength())
        .lengthPolicy(options.lengthPolicy())
        .scoreMode(options.scoreMode())
        .shards(options.shards())
        .load();
  }

  /** Writes a loaded calibration set as the calibration table. */
  public static void write(TableStore store, Options options, CalibrationSet set) {
    List<Row> rows = new ArrayList<>();
    for (ShardedSample sharded : set.samples()) {
      TokenizedSample sample = sharded.sample();
      rows.add(
          RowFactory.create(
              sample.sampleId(),
              sample.category(),
              sharded.shard(),
              sample.tokenIds(),
              sample.scoreMask(),
              sample.truncated(),
              options.model().modelId()));
    }
    store
        .spark()
        .sparkContext()
        .setJobGroup(
            "calibrate",
            String.format(
                Locale.ROOT,
                "calibrate: write %s in %s for %s",
                Counts.of(rows.size(), "sample"),
                Counts.of(options.shards(), "shard"),
                options.model().name()),
            false);
    store.replace(Table.CALIBRATION, store.spark().createDataFrame(rows, Table.CALIBRATION.schema()).coalesce(1));
    for (Map.Entry<String, CategoryStats> category : set.categories().entrySet()) {
      CategoryStats stats = category.getValue();
      Progress.LOG.info(
          String.format(
              Locale.ROOT,
              "calibrate: %-10s %4d samples %7d tokens %7d scored %3d truncated",
              category.getKey(),
              stats.samples(),
              stats.tokens(),
              stats.scoredTokens(),
              stats.truncated()));
    }
  }
}
