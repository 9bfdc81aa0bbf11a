package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.CheckpointException;
import io.bitsweep.safetensors.NonFiniteScan;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NaN and infinite weights are found in every floating-point dtype and reported by tensor. */
class NonFiniteScanTest {
  @TempDir Path tmp;

  @Test
  void trainedTinyModelIsFinite() {
    try (Checkpoint checkpoint = Checkpoint.open(SharedModels.require(SharedModels.QWEN35_TINY))) {
      assertThat(NonFiniteScan.scan(checkpoint)).isEmpty();
      NonFiniteScan.requireFinite(checkpoint);
    }
  }

  @Test
  void countsNanAndInfinityPerDtype() throws IOException {
    float[] values = new float[64];
    values[5] = Float.NaN;
    values[6] = Float.NEGATIVE_INFINITY;
    values[9] = Float.POSITIVE_INFINITY;
    values[60] = Float.NaN;
    SafetensorsWriter writer = new SafetensorsWriter(Map.of());
    writer.addFloats("a.bf16", DType.BF16, new long[] {8, 8}, values);
    writer.addFloats("b.f16", DType.F16, new long[] {64}, values);
    writer.addFloats("c.f32", DType.F32, new long[] {2, 32}, values);
    writer.addFloats("d.finite", DType.BF16, new long[] {4}, new float[] {1, -2, 65504, -0f});
    ByteBuffer ints = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    ints.putInt(0x7FC00000).putInt(0x7F800000).putInt(-1).putInt(0).flip();
    writer.add("e.int32", DType.I32, new long[] {4}, ints); // NaN bit patterns, but integers
    writer.write(tmp.resolve(Checkpoint.SINGLE_FILE));

    try (Checkpoint checkpoint = Checkpoint.open(tmp)) {
      List<NonFiniteScan.Finding> found = NonFiniteScan.scan(checkpoint);

      assertThat(found).extracting(f -> f.tensor().name()).containsExactly("a.bf16", "b.f16", "c.f32");
      for (NonFiniteScan.Finding finding : found) {
        assertThat(finding.nanCount()).as("NaN in %s", finding.tensor().name()).isEqualTo(2);
        assertThat(finding.infinityCount()).as("Inf in %s", finding.tensor().name()).isEqualTo(2);
        assertThat(finding.firstIndex()).as("first in %s", finding.tensor().name()).isEqualTo(5);
      }
    }
  }

  @Test
  void firstIndexCountsEarlierChunks() throws IOException {
    // 3M bf16 values span two 4 MiB read chunks; the only NaN lies in the second.
    int count = 3 << 20;
    short[] bits = new short[count];
    bits[2_500_000] = (short) 0xFFC0;
    ByteBuffer bytes = ByteBuffer.allocate(2 * count).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asShortBuffer().put(bits);
    SafetensorsWriter writer = new SafetensorsWriter(Map.of());
    writer.add("big", DType.BF16, new long[] {3, 1 << 20}, bytes);
    writer.write(tmp.resolve(Checkpoint.SINGLE_FILE));

    try (Checkpoint checkpoint = Checkpoint.open(tmp)) {
      List<NonFiniteScan.Finding> found = NonFiniteScan.scan(checkpoint);

      assertThat(found).hasSize(1);
      assertThat(found.get(0).firstIndex()).isEqualTo(2_500_000);
      assertThat(found.get(0).nanCount()).isEqualTo(1);
      assertThat(found.get(0).infinityCount()).isZero();
    }
  }

  @Test
  void errorListsFiveTensorsThenCounts() throws IOException {
    SafetensorsWriter writer = new SafetensorsWriter(Map.of());
    for (int i = 0; i < 7; i++) {
      writer.addFloats("t" + i, DType.BF16, new long[] {2}, new float[] {0, Float.NaN});
    }
    writer.write(tmp.resolve(Checkpoint.SINGLE_FILE));

    try (Checkpoint checkpoint = Checkpoint.open(tmp)) {
      assertThatThrownBy(() -> NonFiniteScan.requireFinite(checkpoint))
          .isInstanceOf(CheckpointException.class)
          .hasMessageStartingWith(
              "Cannot use checkpoint " + checkpoint.directory() + ": expected finite weights, but"
                  + " tensor t0 in model.safetensors has 1 NaN and 0 infinite values of 2 (first"
                  + " at index 1); tensor t1 in model.safetensors")
          .hasMessageEndingWith(
              "tensor t4 in model.safetensors has 1 NaN and 0 infinite values of 2 (first at index"
                  + " 1); and 2 more tensors. The checkpoint is corrupt: download or export it"
                  + " again");
    }
  }
}
