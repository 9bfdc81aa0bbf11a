package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.bitsweep.SharedModels;
import io.bitsweep.cli.Main;
import io.bitsweep.kld.LeaderboardRow;
import io.bitsweep.kld.Logits;
import io.bitsweep.mlx.MlxModel;
import io.bitsweep.mlx.MlxReader;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.FakeQuantWeights;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the whole pipeline ({@code bitsweep run}) on the trained Llama model TinyStories-656K with
 * plain-text calibration samples, then checks the leaderboard against an independent computation:
 * the written MLX folder is read back, its logits must equal the fake-quantized checkpoint's, and
 * the mean KLD of those logits against the bf16 model over full distributions ({@link
 * Logits#kldOfLogits}) must match the leaderboard's value, which was computed from the compact
 * reference.
 */
class LlamaPipelineTest {
  @TempDir Path tmp;

  private static final List<String> STORIES =
      List.of(
          "Once upon a time, a little fox found a red ball in the park. He wanted to play with it,"
              + " so he pushed it with his nose. The ball rolled down the hill and the fox ran"
              + " after it, laughing.",
          "Lily had a small garden behind her house. Every morning she gave water to the flowers."
              + " One day a bee came and said thank you, because the flowers were so sweet.",
          "Tom and his dad built a boat out of a big box. They painted it blue and put it in the"
              + " bath. Tom said, \"Look, it floats!\" His dad smiled and gave him a hug.",
          "The cat was sad because it was raining. She sat by the window and watched the drops."
              + " Then the sun came out, and a rainbow made the sky bright and happy.",
          "Ben wanted to help his mom bake a cake. He mixed the flour and the eggs, but he spilled"
              + " some milk. Mom said it was okay, and together they cleaned the table.",
          "A tiny bird could not fly yet. Her brother showed her how to flap her wings. She tried"
              + " again and again, and at last she flew up to the tall tree.");

  @Test
  void llamaRunMatchesIndependentKld() throws IOException {
    Path model = SharedModels.require(SharedModels.LLAMA_TINY);
    Path calibration = tmp.resolve("stories.jsonl");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < STORIES.size(); i++) {
      String text = STORIES.get(i).replace("\"", "\\\"");
      String category = i % 2 == 0 ? "story" : "family";
      lines.append(
          String.format("{\"id\": \"story-%d\", \"category\": \"%s\", \"text\": \"%s\"}%n", i, category, text));
    }
    Files.writeString(calibration, lines, StandardCharsets.UTF_8);
    Path out = tmp.resolve("run");

    int status =
        Main.execute(
            "run",
            "--model", model.toString(),
            "--out", out.toString(),
            "--master", "local[2]",
            "--spec", SharedModels.repositoryRoot().resolve("conf/sweeps/smoke.yaml").toString(),
            "--calibration", calibration.toString(),
            "--shards", "2",
            "--top-k", "32",
            "--rank", "3");

    assertThat(status).as("exit status of bitsweep run on " + model).isZero();
    SparkSession spark = Sessions.getOrCreate("llama-check", new SparkOptions("local[1]", Map.of()));
    try {
      TableStore store = new TableStore(spark, out.toString());
      List<LeaderboardTable.Entry> board = LeaderboardTable.read(store);
      assertThat(board).as("leaderboard rows, one per smoke configuration").hasSize(6);
      assertThat(board.get(0).row().meanKld()).as("rank 1 (bf16)").isZero();
      double eight = meanKldOfUniform(board, 8);
      double four = meanKldOfUniform(board, 4);
      double two = meanKldOfUniform(board, 2);
      assertThat(eight).as("uniform 8-bit").isPositive().isLessThan(four);
      assertThat(four).as("uniform 4-bit").isLessThan(two);
      assertThat(board.get(0).row().meanKldByCategory()).containsOnlyKeys("family", "story");

      QuantConfig selected =
          QuantConfig.parse(Files.readString(out.resolve("selected.json")), "selected.json");
      LeaderboardRow chosen =
          board.stream()
              .map(LeaderboardTable.Entry::row)
              .filter(row -> row.configId().equals(selected.id()))
              .findFirst()
              .orElseThrow();
      assertThat(chosen.rank()).as("rank of the selected configuration").isEqualTo(3);
      assertThat(chosen.meanKld()).as("selected configuration is quantized").isPositive();

      List<Row> samples = store.read(Table.CALIBRATION).collectAsList();
      assertThat(samples).hasSize(STORIES.size());
      try (MlxModel mlx = MlxReader.open(out.resolve("mlx"));
          Checkpoint checkpoint = Checkpoint.open(model)) {
        assertThat(mlx.tensorBytes()).as("MLX tensor bytes").isEqualTo(chosen.sizeBytes());
        ModelConfig config = ModelConfig.load(checkpoint);
        ForwardPass pass = new ForwardPass(config);
        // The checkpoint stores only lm_head.weight, the MLX folder only model.embed_tokens.*,
        // so each is run with the config read from its own folder.
        ForwardPass mlxPass = new ForwardPass(mlx.modelConfig());
        WeightSource bf16 = new CheckpointWeights(checkpoint);
        WeightSource fakeQuantized =
            new FakeQuantWeights(
                bf16,
                QuantPlan.resolve(
                    selected,
                    checkpoint.tensors(),
                    HeadTying.detect(checkpoint.configJson(), checkpoint.tensors())),
                new FakeQuantCache(1L << 26));
        double kldSum = 0;
        long scored = 0;
        for (Row sample : samples) {
          int[] tokens = sample.getList(sample.fieldIndex("token_ids")).stream()
              .mapToInt(id -> (Integer) id).toArray();
          List<Boolean> mask = sample.getList(sample.fieldIndex("score_mask"));
          float[] fromMlx = mlxPass.logits(tokens, mlx.weights());
          float[] fromCheckpoint = pass.logits(tokens, fakeQuantized);
          assertThat(Arrays.mismatch(fromMlx, fromCheckpoint))
              .as("first logit where the MLX folder and fake quantization differ, "
                  + sample.getString(0))
              .isEqualTo(-1);
          float[] reference = pass.logits(tokens, bf16);
          int vocab = config.vocabSize();
          for (int position = 0; position < tokens.length; position++) {
            if (mask.get(position)) {
              kldSum += Logits.kldOfLogits(reference, position * vocab, fromMlx, position * vocab, vocab);
              scored++;
            }
          }
        }
        assertThat(scored).as("scored tokens").isEqualTo(chosen.tokens());
        assertThat(chosen.meanKld())
            .as("leaderboard mean KLD against full distributions of the written model")
            .isCloseTo(kldSum / scored, within(0.02 * kldSum / scored));
      }
    } finally {
      spark.stop();
    }
  }

  private static double meanKldOfUniform(List<LeaderboardTable.Entry> board, int bits) {
    QuantConfig uniform =
        QuantConfig.uniform(QuantSetting.affine(bits, 64));
    return board.stream()
        .map(LeaderboardTable.Entry::row)
        .filter(row -> row.configId().equals(uniform.id()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row for uniform " + bits + "-bit"))
        .meanKld();
  }
}
