package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.kld.LeaderboardRow;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantSetting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs reference, sweep and rank on the tiny Qwen3.5 model in local mode. */
class PipelineTest {
  private static SparkSession spark;
  private static ModelRef model;

  @TempDir static Path tmp;

  @BeforeAll
  static void startSpark() {
    spark = Sessions.getOrCreate("bitsweep-test", new SparkOptions("local[2]", Map.of()));
    model = ModelRef.resolve(SharedModels.require(SharedModels.QWEN35_TINY).toString());
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  private static final List<QuantConfig> CONFIGS =
      List.of(
          QuantConfig.uniform(QuantSetting.BF16),
          QuantConfig.uniform(QuantSetting.affine(8, 64)),
          QuantConfig.uniform(QuantSetting.affine(4, 64)),
          QuantConfig.uniform(QuantSetting.affine(2, 32)),
          QuantConfig.parse(
              "{\"default\": {\"bits\": 4, \"group_size\": 64}, \"groups\": {\"mlp_up\":"
                  + " {\"bits\": 3, \"group_size\": 64, \"awq\": true}}}",
              "awq config"));

  @Test
  void referenceSweepRankOnTwoShards() {
    TableStore store = new TableStore(spark, tmp.resolve("run").toString());
    writeCalibration(store);
    long referenceRows = ReferenceJob.run(store, new ReferenceJob.Options(model, store.root(), ReferenceEncoding.sampledTail(16, 16)));
    assertThat(referenceRows).isEqualTo(scoredPositions());
    assertThat(store.read(Table.ACTIVATION_STATS).count()).as("activation_stats rows").isPositive();
    assertThat(store.exists(store.location("reference_error.txt"))).isTrue();
    Row stored = store.read(Table.REFERENCE).first();
    assertThat(stored.getList(stored.fieldIndex("tail_ids"))).as("tail samples per row").hasSize(16);

    SweepJob.Summary first = SweepJob.run(store, new SweepJob.Options(model, "test@1", CONFIGS, 2, 0));
    assertThat(first.pairs()).isEqualTo(5 * 2);
    assertThat(first.skipped()).isZero();
    assertThat(first.computed()).isEqualTo(10);
    assertThat(store.read(Table.RESULTS).count()).isEqualTo(5 * 4);

    SweepJob.Summary again = SweepJob.run(store, new SweepJob.Options(model, "test@1", CONFIGS, 2, 0));
    assertThat(again.skipped()).as("pairs skipped on rerun").isEqualTo(10);
    assertThat(again.computed()).isZero();
    assertThat(store.read(Table.RESULTS).count()).as("rows after rerun").isEqualTo(20);

    List<LeaderboardRow> rows = RankJob.run(store, model);
    Map<String, LeaderboardRow> byId = new HashMap<>();
    rows.forEach(r -> byId.put(r.configId(), r));
    double bf16 = byId.get(CONFIGS.get(0).id()).meanKld();
    double eight = byId.get(CONFIGS.get(1).id()).meanKld();
    double four = byId.get(CONFIGS.get(2).id()).meanKld();
    double two = byId.get(CONFIGS.get(3).id()).meanKld();
    assertThat(bf16).as("bf16 everywhere").isZero();
    assertThat(eight).as("8-bit").isPositive().isLessThan(four);
    assertThat(four).as("4-bit").isLessThan(two);
    assertThat(byId.get(CONFIGS.get(4).id()).meanKld()).as("4-bit with 3-bit AWQ MLP").isPositive();
    assertThat(rows.get(0).configId()).isEqualTo(CONFIGS.get(0).id());
    assertThat(store.exists(store.location("leaderboard.png"))).isTrue();

    assertThatThrownBy(() -> SweepJob.run(store, new SweepJob.Options(model, "other@2", CONFIGS, 2, 0)))
        .hasMessageContaining("Cannot run spec other@2")
        .hasMessageContaining("holds spec test@1");
  }

  private static final int[][] SEQUENCES = {
    {1, 211, 110, 52, 166, 210, 71, 77, 114, 1163, 3, 860, 134, 913, 205, 1892, 91, 10},
    {1, 45, 57, 159, 797, 134, 169, 117, 86, 205, 639, 392, 104, 476, 10, 208, 110},
    {1, 53, 71, 601, 114, 1568, 3, 208, 110, 52, 183},
    {1, 208, 110, 52, 166, 210, 823, 91, 3, 45}
  };

  private static long scoredPositions() {
    return Arrays.stream(SEQUENCES).mapToLong(s -> s.length - 1).sum();
  }

  static void writeCalibration(TableStore store) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < SEQUENCES.length; i++) {
      boolean[] mask = new boolean[SEQUENCES[i].length];
      Arrays.fill(mask, 0, mask.length - 1, true);
      rows.add(
          RowFactory.create("s" + i, i % 2 == 0 ? "dialogue" : "code", i % 2, SEQUENCES[i], mask, false, model.modelId()));
    }
    store.replace(Table.CALIBRATION, spark.createDataFrame(rows, Table.CALIBRATION.schema()));
  }
}
