package io.bitsweep.mlx;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import io.bitsweep.mlx.MlxWriter.Options;
import io.bitsweep.mlx.MlxWriter.Summary;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bytes the writer produces equal the quant package's size accounting ({@link QuantPlan}). */
class MlxSizeTest {
  private static final List<String> QWEN_CONFIGS =
      List.of(
          "{\"default\": 4}",
          "{\"default\": \"3/32\"}",
          "{\"default\": \"8/128\"}",
          "{\"default\": \"bf16\"}",
          "{\"default\": 4, \"groups\": {\"embed\": 6, \"lm_head\": \"8/32\", \"gdn_out\":"
              + " \"bf16\", \"mlp_down@2-5\": \"2/128\", \"attn_qkv\": \"5/64\"}}");

  private static final List<String> MOE_CONFIGS =
      List.of(
          "{\"default\": 4}",
          "{\"default\": \"2/32\", \"groups\": {\"expert_up\": 3, \"expert_down\": \"6/64\","
              + " \"router\": 8, \"shared_expert\": \"bf16\"}}");

  @TempDir Path temp;

  /** Writes {@code model} with each configuration and checks sizes against the plan. */
  private void checkSizes(Path model, List<String> configs) throws IOException {
    for (int i = 0; i < configs.size(); i++) {
      QuantConfig config = QuantConfig.parse(configs.get(i), "config " + i);
      Path out = temp.resolve("mlx-" + i);
      Summary summary =
          MlxWriter.write(model, config, out, Options.defaults().withMaxShardBytes(400_000));
      QuantPlan plan = plan(model, config);
      String label = configs.get(i);

      assertThat(summary.tensorBytes()).as("tensor bytes of %s", label).isEqualTo(plan.mlxBytes());
      assertThat(summary.parameterCount())
          .as("parameters of %s", label)
          .isEqualTo(plan.parameterCount());
      assertThat(summary.bitsPerWeight()).as("bpw of %s", label).isEqualTo(plan.bitsPerWeight());
      long indexTotal =
          new ObjectMapper()
              .readTree(out.resolve("model.safetensors.index.json").toFile())
              .at("/metadata/total_size")
              .asLong();
      assertThat(indexTotal).as("index total_size of %s", label).isEqualTo(plan.mlxBytes());
      long data = 0;
      long files = 0;
      for (String shard : summary.shardFiles()) {
        long size = Files.size(out.resolve(shard));
        data += size - 8 - headerLength(out.resolve(shard));
        files += size;
      }
      assertThat(data).as("data sections of %s", label).isEqualTo(plan.mlxBytes());
      assertThat(files).as("shard file sizes of %s", label).isEqualTo(summary.shardFileBytes());
      try (MlxModel written = MlxReader.open(out)) {
        assertThat(written.tensorBytes()).isEqualTo(plan.mlxBytes());
        assertThat(written.parameterCount())
            .as("reader's parameters of %s", label)
            .isEqualTo(plan.parameterCount());
      }
    }
  }

  private static QuantPlan plan(Path model, QuantConfig config) {
    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      HeadTying tying = HeadTying.detect(checkpoint.configJson(), checkpoint.tensors());
      return QuantPlan.resolve(config, checkpoint.tensors(), tying);
    }
  }

  private static long headerLength(Path shard) throws IOException {
    byte[] prefix = new byte[8];
    try (var in = Files.newInputStream(shard)) {
      assertThat(in.readNBytes(prefix, 0, 8)).isEqualTo(8);
    }
    return ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  @Test
  void tinyQwenSizesMatchPlan() throws IOException {
    checkSizes(SharedModels.require(SharedModels.QWEN35_TINY), QWEN_CONFIGS);
  }

  @Test
  void qwen35MoeSizesMatchPlan() throws IOException {
    checkSizes(TinyCheckpoints.qwen35Moe(temp.resolve("moe")), MOE_CONFIGS);
  }

  @Test
  void qwen3NextSizesMatchPlan() throws IOException {
    checkSizes(TinyCheckpoints.qwen3Next(temp.resolve("next")), MOE_CONFIGS);
  }

  @Test
  void unquantizedModelHasNoQuantizationBlock() throws IOException {
    Path out = temp.resolve("mlx");
    MlxWriter.write(
        SharedModels.require(SharedModels.QWEN35_TINY),
        QuantConfig.parse("{\"default\": \"bf16\"}", "test"),
        out,
        Options.defaults());
    var config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
    assertThat(config.has("quantization")).isFalse();
    assertThat(config.has("quantization_config")).isFalse();
    assertThat(MlxReader.inspect(out)).contains("settings:     none (unquantized model)");
  }
}
