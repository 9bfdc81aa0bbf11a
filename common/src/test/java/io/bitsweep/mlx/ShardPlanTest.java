package io.bitsweep.mlx;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.mlx.StoredParameter.FileTensor;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardPlanTest {
  @TempDir Path temp;

  private static FileTensor tensor(String name, DType dtype, long... shape) {
    return new FileTensor(name, dtype, shape);
  }

  @Test
  void headerMatchesSafetensorsWriter() throws IOException {
    List<FileTensor> tensors =
        List.of(
            tensor("model.layers.0.mlp.up_proj.weight", DType.U32, 4, 8),
            tensor("lm_head.scales", DType.BF16, 16, 2),
            tensor("model.layers.0.mlp.up_proj.biases", DType.F32, 4, 1),
            tensor("model.norm.weight", DType.BF16, 16),
            tensor("Upper.case", DType.F16, 3));
    ShardPlan plan = ShardPlan.of(tensors, ShardPlan.DEFAULT_MAX_SHARD_BYTES);

    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "mlx"));
    for (FileTensor tensor : tensors) {
      writer.add(
          tensor.name(),
          tensor.dtype(),
          tensor.shape(),
          ByteBuffer.allocate((int) tensor.byteLength()));
    }
    Path reference = temp.resolve("reference.safetensors");
    writer.write(reference);
    byte[] referenceBytes = Files.readAllBytes(reference);
    byte[] header = plan.shards().get(0).header();

    assertThat(plan.shards()).hasSize(1);
    assertThat(plan.shards().get(0).fileName()).isEqualTo("model.safetensors");
    assertThat(header).isEqualTo(Arrays.copyOfRange(referenceBytes, 8, 8 + header.length));
    assertThat(plan.shards().get(0).fileBytes()).isEqualTo(referenceBytes.length);
  }

  @Test
  void shardsSplitBeforeLimitIsExceeded() {
    List<FileTensor> tensors =
        List.of(
            tensor("a", DType.U8, 40),
            tensor("b", DType.U8, 60),
            tensor("c", DType.U8, 1),
            tensor("d", DType.U8, 250),
            tensor("e", DType.U8, 10));
    ShardPlan plan = ShardPlan.of(tensors, 100);

    assertThat(plan.shards())
        .extracting(ShardPlan.Shard::fileName)
        .containsExactly(
            "model-00001-of-00004.safetensors",
            "model-00002-of-00004.safetensors",
            "model-00003-of-00004.safetensors",
            "model-00004-of-00004.safetensors");
    assertThat(plan.shards())
        .extracting(ShardPlan.Shard::dataBytes)
        .containsExactly(100L, 1L, 250L, 10L);
    assertThat(plan.location("b").dataOffset()).isEqualTo(40);
    assertThat(plan.location("d").shard())
        .as("a tensor over the limit gets a shard of its own")
        .isEqualTo(2);
    assertThat(plan.dataBytes()).isEqualTo(361);
    assertThat(plan.weightMap()).containsEntry("e", "model-00004-of-00004.safetensors").hasSize(5);
  }

  @Test
  void defaultLimitIsFiveGib() {
    long limit = MlxWriter.Options.defaults().maxShardBytes();
    assertThat(limit).as("mlx-lm's MAX_FILE_SIZE_GB = 5, in bytes").isEqualTo(5L << 30);

    // Headers only: no tensor data is allocated for these sizes.
    List<FileTensor> tensors =
        List.of(
            tensor("a", DType.U8, 3L << 30),
            tensor("b", DType.U8, 2L << 30),
            tensor("c", DType.U8, 1));
    ShardPlan plan = ShardPlan.of(tensors, limit);

    assertThat(plan.shards())
        .extracting(ShardPlan.Shard::dataBytes)
        .as("exactly 5 GiB fits one shard, and one more byte starts the next")
        .containsExactly(5L << 30, 1L);
  }
}
