package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.awq.ActivationStats;
import io.bitsweep.eval.CandidateFactory;
import io.bitsweep.jobs.ActivationStatsTable;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.SparkOptions;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.mlx.MlxModel;
import io.bitsweep.mlx.MlxReader;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code write-mlx} with an AWQ configuration: the statistics come from the {@code
 * activation_stats} table that {@code reference} records in its {@code --out} folder, passed as
 * {@code --activation-stats}. Without statistics, or with a folder that lacks the table, the
 * command fails before it writes anything.
 */
class WriteMlxActivationStatsTest {
  private static final String AWQ =
      "{\"default\": 3, \"groups\": {\"attn_qkv\": {\"bits\": 3, \"group_size\": 64, \"awq\":"
          + " true}, \"mlp_up\": \"3/64+awq\"}}";

  private static final int[] TOKENS = {1, 211, 110, 52, 166, 210, 71, 77, 114, 1163, 3, 860, 134};

  @TempDir Path tmp;

  @Test
  void statsFromReferenceFolderApplied() throws IOException {
    Path model = TinyModelCopy.source();
    Path run = tmp.resolve("run");
    Path calibration = TinyModelCopy.calibrationFile(tmp);
    Cli.Result calibrated =
        Cli.run(
            "calibrate",
            "--model", model.toString(),
            "--out", run.toString(),
            "--calibration", calibration.toString(),
            "--shards", "1",
            "--master", "local[1]");
    assertThat(calibrated.status()).as("calibrate exit status").isZero();
    Cli.Result referenced =
        Cli.run(
            "reference",
            "--model", model.toString(),
            "--out", run.toString(),
            "--top-k", "8",
            "--tail-samples", "0",
            "--master", "local[1]");
    assertThat(referenced.status()).as("reference exit status").isZero();
    Path config = TinyModelCopy.writeFile(tmp, "awq.json", AWQ);
    Path out = tmp.resolve("mlx");

    Cli.Result written =
        Cli.run(
            "write-mlx",
            "--model", model.toString(),
            "--config", config.toString(),
            "--out", out.toString(),
            "--activation-stats", run.toString(),
            "--master", "local[1]");

    assertThat(written.status()).as("write-mlx exit status").isZero();
    ActivationStats stats;
    SparkSession spark =
        Sessions.getOrCreate("WriteMlxActivationStatsTest", new SparkOptions("local[1]", Map.of()));
    try {
      TableStore store = new TableStore(spark, run.toString());
      stats =
          ActivationStatsTable.stats(
              ActivationStatsTable.read(store, ModelRef.resolve(model.toString())));
    } finally {
      spark.stop();
    }
    assertThat(stats).as("statistics in %s", run).isNotNull();
    QuantConfig awq = QuantConfig.parse(AWQ, "awq.json");
    QuantConfig plain = QuantConfig.parse("{\"default\": 3}", "plain");
    try (LanguageModel language = LanguageModel.open(model);
        MlxModel folder = MlxReader.open(out)) {
      Checkpoint checkpoint = ((CheckpointWeights) language.weights()).checkpoint();
      CandidateFactory factory =
          new CandidateFactory(
              language.config(),
              language.weights(),
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()),
              new FakeQuantCache(64L << 20),
              stats);
      float[] served = language.forwardPass().logits(TOKENS, folder.weights());
      float[] measured =
          language.forwardPass().logits(TOKENS, factory.candidate(awq).weights());
      float[] unscaled =
          language.forwardPass().logits(TOKENS, factory.candidate(plain).weights());
      assertThat(served).as("written folder vs AWQ candidate").containsExactly(measured);
      assertThat(served).as("written folder vs plain 3-bit candidate").isNotEqualTo(unscaled);
    }
  }

  @Test
  void awqWithoutStatsRejected() {
    Path config = TinyModelCopy.writeFile(tmp, "awq.json", AWQ);
    Path out = tmp.resolve("mlx");
    QuantConfig awq = QuantConfig.parse(AWQ, config.toString());

    Cli.Result result =
        Cli.run(
            "write-mlx",
            "--model", TinyModelCopy.source().toString(),
            "--config", config.toString(),
            "--out", out.toString());

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep write-mlx: Configuration "
                + awq.id()
                + " ("
                + awq.label()
                + ") requests AWQ on attn_qkv, mlp_up, which needs activation statistics; pass"
                + " --activation-stats DIR with the --out folder of `bitsweep reference` or"
                + " `bitsweep run` on this model, or remove awq from the configuration\n");
    assertThat(out).doesNotExist();
  }

  @Test
  void folderWithoutStatsTableRejected() throws IOException {
    Path config = TinyModelCopy.writeFile(tmp, "awq.json", AWQ);
    Path empty = Files.createDirectories(tmp.resolve("not-a-run"));
    Path out = tmp.resolve("mlx");

    Cli.Result result =
        Cli.run(
            "write-mlx",
            "--model", TinyModelCopy.source().toString(),
            "--config", config.toString(),
            "--out", out.toString(),
            "--activation-stats", empty.toString(),
            "--master", "local[1]");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep write-mlx: Invalid --activation-stats "
                + empty
                + ": it has no activation_stats table; pass the --out folder of `bitsweep"
                + " reference` or `bitsweep run` on this model, which records the table\n");
    assertThat(out).doesNotExist();
  }
}
