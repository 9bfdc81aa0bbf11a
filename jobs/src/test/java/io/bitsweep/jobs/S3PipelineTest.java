package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.cli.Main;
import io.bitsweep.mlx.MlxModel;
import io.bitsweep.mlx.MlxReader;
import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.testing.S3Server;
import io.bitsweep.testing.TinyRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the whole pipeline with the model, the tables and the MLX output on S3 (an in-process S3
 * server), through the {@code run} command in local mode.
 */
class S3PipelineTest {
  private static S3Server s3;
  private static Configuration hadoop;
  private static Path shared;

  @TempDir static Path tmp;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3Server.start("pipeline-bucket");
    hadoop = new Configuration();
    s3.hadoopConf().forEach(hadoop::set);
    shared = SharedModels.require(SharedModels.QWEN35_TINY);
    ModelStagingTest.upload(shared, s3.uri("models/qwen35-tiny-stories"), hadoop);
  }

  @AfterAll
  static void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void runReadsAndWritesS3() throws Exception {
    String model = s3.uri("models/qwen35-tiny-stories");
    String out = s3.uri("runs/tiny");
    Map<String, String> conf = new LinkedHashMap<>(s3.sparkConf());
    conf.put(ModelStaging.CACHE_DIR_PROPERTY, tmp.resolve("model-cache").toString());
    TinyRun inputs = TinyRun.write(tmp.resolve("inputs"));

    int status =
        Main.execute(inputs.runArguments(model, out, "local[2]", conf).toArray(String[]::new));

    assertThat(status).as("exit status of bitsweep run").isZero();
    String localId = ModelRef.resolve(shared.toString()).modelId();
    List<LeaderboardTable.Entry> board = readLeaderboard(out, conf);
    assertThat(board).hasSize(TinyRun.CONFIGURATIONS);
    assertThat(board).extracting(entry -> entry.row().rank()).containsExactly(1, 2, 3);
    assertThat(board).extracting(LeaderboardTable.Entry::modelId).containsOnly(localId);
    assertThat(board.get(0).row().label()).as("rank 1").contains("bf16");
    assertThat(board.get(0).row().meanKld()).as("mean KLD of bf16").isZero();
    assertThat(board.get(1).row().meanKld()).as("mean KLD of rank 2").isPositive();
    assertThat(board.get(2).row().meanKld())
        .as("mean KLD of rank 3")
        .isGreaterThan(board.get(1).row().meanKld());
    assertThat(tmp.resolve("model-cache/" + localId + "/" + ModelStaging.MANIFEST))
        .as("staged copy of the s3a model")
        .isRegularFile();

    FileSystem fs = new org.apache.hadoop.fs.Path(out).getFileSystem(hadoop);
    for (String file :
        List.of(
            "mlx/config.json",
            "mlx/model.safetensors.index.json",
            "selected.json",
            "leaderboard.png")) {
      assertThat(fs.exists(new org.apache.hadoop.fs.Path(out + "/" + file)))
          .as(out + "/" + file)
          .isTrue();
    }
    // Only objects count: S3Proxy's in-memory store can keep an empty prefix after its last
    // object is deleted, which real S3 does not do. Such a prefix contains no data.
    assertThat(objectsUnder(fs, out))
        .as("no temporary upload left")
        .noneMatch(path -> path.contains("/_staging-"))
        .anyMatch(path -> path.endsWith("/leaderboard.json"));
    checkMlxModel(fs, out, board);
  }

  @Test
  void writeMlxToExistingS3FolderFails() throws Exception {
    String out = s3.uri("mlx/exists");
    FileSystem fs = new org.apache.hadoop.fs.Path(out).getFileSystem(hadoop);
    fs.mkdirs(new org.apache.hadoop.fs.Path(out));
    fs.create(new org.apache.hadoop.fs.Path(out + "/keep.txt")).close();
    QuantConfig config = QuantConfig.uniform(QuantSetting.affine(4, 64));

    assertThatThrownBy(
            () -> MlxOutput.write(shared, config, out, MlxWriter.Options.defaults(), hadoop))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot write the MLX model to " + out)
        .hasMessageContaining("pass --overwrite");

    MlxOutput.Written replaced =
        MlxOutput.write(
            shared,
            config,
            out,
            MlxWriter.Options.defaults().withOverwrite(MlxWriter.OverwriteMode.REPLACE),
            hadoop);
    assertThat(replaced.toString()).startsWith(out + ":");
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(out + "/keep.txt")))
        .as("old file after --overwrite")
        .isFalse();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(out + "/config.json"))).isTrue();
  }

  private static List<LeaderboardTable.Entry> readLeaderboard(
      String out, Map<String, String> conf) {
    SparkSession spark = Sessions.getOrCreate("S3PipelineTest", new SparkOptions("local[1]", conf));
    try {
      return LeaderboardTable.read(new TableStore(spark, out));
    } finally {
      spark.stop();
    }
  }

  /** Downloads the MLX folder and checks that its size is the selected configuration's. */
  private static void checkMlxModel(FileSystem fs, String out, List<LeaderboardTable.Entry> board)
      throws Exception {
    Path local = tmp.resolve("downloaded-mlx");
    fs.copyToLocalFile(
        false,
        new org.apache.hadoop.fs.Path(out + "/mlx"),
        new org.apache.hadoop.fs.Path(local.toUri()),
        true);
    String selected;
    try (var in = fs.open(new org.apache.hadoop.fs.Path(out + "/selected.json"))) {
      selected =
          QuantConfig.parse(
                  new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                  "selected.json")
              .id();
    }
    LeaderboardTable.Entry chosen =
        board.stream().filter(e -> e.row().configId().equals(selected)).findFirst().orElseThrow();
    try (MlxModel mlx = MlxReader.open(local)) {
      assertThat(mlx.tensorBytes())
          .as("MLX tensor bytes of " + chosen.row().label())
          .isEqualTo(chosen.row().sizeBytes());
    }
    assertThat(Files.readString(local.resolve("config.json"))).contains("\"quantization\"");
  }

  private static List<String> objectsUnder(FileSystem fs, String folder) throws java.io.IOException {
    List<String> paths = new java.util.ArrayList<>();
    var files = fs.listFiles(new org.apache.hadoop.fs.Path(folder), true);
    while (files.hasNext()) {
      paths.add(files.next().getPath().toString());
    }
    return paths;
  }
}
