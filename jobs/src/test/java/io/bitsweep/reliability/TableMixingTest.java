package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.RankJob;
import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.SparkOptions;
import io.bitsweep.jobs.SweepJob;
import io.bitsweep.jobs.Table;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.quant.QuantConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables of different models or specs are never mixed. Every table stores the model id (folder
 * name and content hash of weights, config and tokenizer files) and the results store the spec id.
 * A step that finds another id fails before it writes anything. The tables here hold a few
 * hand-made rows, since only their ids matter. The CLI case runs last because the command stops
 * the shared Spark session.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TableMixingTest {
  private static final QuantConfig CONFIG = QuantConfig.parse("{\"default\": 4}", "c4.json");
  private static final String SPEC = "first@0123456789ab";

  @TempDir static Path tmp;

  private static SparkSession spark;
  private static ModelRef tiny;
  private static ModelRef otherTokenizer;
  private static ModelRef otherWeights;

  @BeforeAll
  static void start() {
    spark = Sessions.getOrCreate("TableMixingTest", new SparkOptions("local[1]", Map.of()));
    tiny = ModelRef.resolve(TinyModelCopy.source().toString());
    Path tokenizerCopy = TinyModelCopy.copy(tmp.resolve("other-tokenizer"));
    TinyModelCopy.writeFile(tokenizerCopy, "chat_template.jinja", "{{ messages[0].content }}");
    otherTokenizer = ModelRef.resolve(tokenizerCopy.toString());
    Path weightsCopy = TinyModelCopy.copy(tmp.resolve("other-weights"));
    TinyModelCopy.rewriteShard(
        weightsCopy,
        TinyModelCopy.SHARD_2,
        t -> {
          t.bytes().putShort(0, (short) (t.bytes().getShort(0) ^ 1));
          return t;
        });
    otherWeights = ModelRef.resolve(weightsCopy.toString());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  @Order(1)
  void copiesWithOtherFilesHaveOtherIds() {
    assertThat(otherTokenizer.name()).as("folder name of the copy").isEqualTo(tiny.name());
    assertThat(otherTokenizer.modelId()).as("id after a chat template change").isNotEqualTo(tiny.modelId());
    assertThat(otherWeights.modelId()).as("id after one weight bit flipped").isNotEqualTo(tiny.modelId());
  }

  @Test
  @Order(2)
  void sweepRejectsReferenceOfOtherModel() {
    TableStore store = new TableStore(spark, tmp.resolve("other-reference").toString());
    writeCalibration(store, otherWeights);
    writeReference(store, tiny);

    assertThatThrownBy(() -> SweepJob.run(store, options(otherWeights, SPEC)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot use table reference at " + store.location(Table.REFERENCE) + ": it was built from"
                + " model " + tiny.modelId() + ", but this run uses model " + otherWeights.modelId()
                + "; rerun `bitsweep reference` with this model, or choose another --out");
    assertThat(store.exists(Table.CONFIGURATIONS)).as("configurations table written").isFalse();
    assertThat(store.exists(Table.RESULTS)).as("results table written").isFalse();
  }

  @Test
  @Order(3)
  void sweepRejectsResultsOfOtherSpec() {
    TableStore store = new TableStore(spark, tmp.resolve("other-spec").toString());
    writeCalibration(store, tiny);
    writeReference(store, tiny);
    writeConfigurations(store, tiny, SPEC);
    writeResults(store, tiny, SPEC);
    List<String> configurations = Tables.canonicalRows(store, Table.CONFIGURATIONS);
    List<String> results = Tables.canonicalRows(store, Table.RESULTS);

    assertThatThrownBy(() -> SweepJob.run(store, options(tiny, "second@ba9876543210")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot run spec second@ba9876543210 in " + store.root() + ": its results table holds"
                + " spec " + SPEC + "; use another --out, or delete " + store.location(Table.RESULTS)
                + " and " + store.location(Table.CONFIGURATIONS) + " to start over");
    assertThat(Tables.canonicalRows(store, Table.CONFIGURATIONS)).as("configurations").isEqualTo(configurations);
    assertThat(Tables.canonicalRows(store, Table.RESULTS)).as("results").isEqualTo(results);
  }

  @Test
  @Order(4)
  void rankRejectsResultsOfOtherModel() {
    TableStore store = new TableStore(spark, tmp.resolve("other-spec").toString());

    assertThatThrownBy(() -> RankJob.run(store, otherTokenizer))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot use table configurations at " + store.location(Table.CONFIGURATIONS) + ": it was"
                + " built from model " + tiny.modelId() + ", but this run uses model "
                + otherTokenizer.modelId() + "; rerun `bitsweep sweep` with this model, or choose"
                + " another --out");
    assertThat(store.exists(Table.LEADERBOARD)).as("leaderboard table written").isFalse();
  }

  @Test
  @Order(5)
  void sweepCommandRejectsOtherTokenizer() {
    TableStore store = new TableStore(spark, tmp.resolve("cli").toString());
    writeCalibration(store, tiny);
    writeReference(store, tiny);
    Path config = TinyModelCopy.writeFile(tmp, "c4.json", CONFIG.canonicalJson());

    Cli.Result result =
        Cli.run(
            "sweep",
            "--model", otherTokenizer.location(),
            "--out", store.root(),
            "--config", config.toString(),
            "--master", "local[1]");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .as("stderr")
        .isEqualTo(
            "bitsweep sweep: Cannot use table calibration at " + store.location(Table.CALIBRATION)
                + ": it was built from model " + tiny.modelId() + ", but this run uses model "
                + otherTokenizer.modelId() + "; rerun `bitsweep calibrate` with this model, or"
                + " choose another --out\n");
    assertThat(Cli.filesBesideLogs(tmp.resolve("cli")))
        .as("files of %s", store.root())
        .allMatch(name -> name.startsWith("calibration") || name.startsWith("reference"));
  }

  private static SweepJob.Options options(ModelRef model, String spec) {
    return new SweepJob.Options(model, spec, List.of(CONFIG), 1, 0);
  }

  private static void writeCalibration(TableStore store, ModelRef model) {
    Row row =
        RowFactory.create(
            "s0", "dialogue", 0, new int[] {1, 211, 110, 52}, new boolean[] {true, true, true, false},
            false, model.modelId());
    store.replace(Table.CALIBRATION, spark.createDataFrame(List.of(row), Table.CALIBRATION.schema()));
  }

  private static void writeReference(TableStore store, ModelRef model) {
    Row row =
        RowFactory.create(
            "s0", 0, 0, 211, -1.5f, new int[] {211}, new float[] {-1.5f}, -0.3f, new int[0],
            new float[0], null, model.modelId());
    store.replace(Table.REFERENCE, spark.createDataFrame(List.of(row), Table.REFERENCE.schema()));
  }

  private static void writeConfigurations(TableStore store, ModelRef model, String spec) {
    Row row =
        RowFactory.create(CONFIG.id(), CONFIG.label(), CONFIG.canonicalJson(), 1000L, 4.5, spec, model.modelId());
    store.replace(
        Table.CONFIGURATIONS, spark.createDataFrame(List.of(row), Table.CONFIGURATIONS.schema()));
  }

  private static void writeResults(TableStore store, ModelRef model, String spec) {
    Row row =
        RowFactory.create(
            CONFIG.id(), "s0", "dialogue", 0, 3L, 0.3, 0.05, 0.2, new byte[] {1}, 2L, 0.01, -4.0,
            -4.2, spec, model.modelId());
    store.replace(Table.RESULTS, spark.createDataFrame(List.of(row), Table.RESULTS.schema()));
  }
}
