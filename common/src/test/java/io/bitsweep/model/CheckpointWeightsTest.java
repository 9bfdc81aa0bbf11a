package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.CheckpointException;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CheckpointWeightsTest {
  /** Elements of the test tensor: more than one parallel conversion chunk, not a multiple of it. */
  private static final int ROWS = 1500;

  private static final int COLUMNS = 401;

  @TempDir Path dir;

  private float[] values;

  @BeforeEach
  void makeValues() {
    Random random = new Random(5);
    values = new float[ROWS * COLUMNS];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"BF16", "F16", "F32"})
  void readsEveryFloatDtype(DType dtype) throws IOException {
    SafetensorsWriter writer = new SafetensorsWriter(Map.of());
    writer.addFloats("w", dtype, new long[] {ROWS, COLUMNS}, values);
    writer.write(dir.resolve(Checkpoint.SINGLE_FILE));
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      CheckpointWeights weights = new CheckpointWeights(checkpoint);
      float[] all = weights.read("w");
      for (int i = 0; i < values.length; i += 997) {
        assertThat(all[i]).as("%s element %d", dtype, i).isEqualTo(stored(dtype, values[i]));
      }
      // Arrays.mismatch is linear; AssertJ's containsExactly diffs in quadratic time on failure.
      assertThat(Arrays.mismatch(all, checkpoint.readFloats("w")))
          .as("first element where read() differs from the checkpoint")
          .isEqualTo(-1);

      float[] rows = new float[3 + 700 * COLUMNS];
      weights.readRows("w", 777, 700, rows, 3);
      assertThat(
              Arrays.mismatch(
                  Arrays.copyOfRange(rows, 3, rows.length),
                  Arrays.copyOfRange(all, 777 * COLUMNS, 1477 * COLUMNS)))
          .as("first element where readRows() differs from read()")
          .isEqualTo(-1);
    }
  }

  @Test
  void rejectsRowsOutsideTensor() throws IOException {
    SafetensorsWriter writer = new SafetensorsWriter(Map.of());
    writer.addFloats("w", DType.BF16, new long[] {ROWS, COLUMNS}, values);
    writer.write(dir.resolve(Checkpoint.SINGLE_FILE));
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      CheckpointWeights weights = new CheckpointWeights(checkpoint);
      assertThatThrownBy(() -> weights.readRows("w", 1499, 2, new float[2 * COLUMNS], 0))
          .isInstanceOf(CheckpointException.class)
          .hasMessage(
              "Cannot read rows 1499..1501 of w from model.safetensors: it has 1500 rows of 401");
    }
  }

  private static float stored(DType dtype, float value) {
    return switch (dtype) {
      case BF16 -> Floats.roundToBf16(value);
      case F16 -> Floats.f16ToFloat(Floats.floatToF16(value));
      default -> value;
    };
  }
}
