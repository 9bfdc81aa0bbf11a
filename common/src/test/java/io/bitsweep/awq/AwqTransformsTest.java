package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.awq.AwqUnit.Previous;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AwqTransformsTest {
  private static final int CASES = 20_000;

  /** Random bf16 norm weights in [-0.9, 2] and scales log-uniform in [1e-3, 1e3]. */
  private static float[][] randomCases(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] w = new float[CASES];
    float[] s = new float[CASES];
    for (int i = 0; i < CASES; i++) {
      w[i] = Floats.roundToBf16((float) (random.nextDouble() * 2.9 - 0.9));
      s[i] = (float) Math.pow(10, random.nextDouble() * 6 - 3);
    }
    return new float[][] {w, s};
  }

  @Test
  void zeroCenteredFoldWorkedExample() {
    float[] folded =
        AwqTransforms.foldNorm(
            new float[] {0.5f, 0.01171875f},
            new float[] {3f, 1.3f},
            Previous.ZERO_CENTERED_NORM,
            DType.BF16);
    // (1 + 0.5) / 3 = 0.5 exactly; (1 + 3·2^-8) / 1.3 = 0.77824..., which bf16 rounds to 199/256.
    assertThat(folded[0]).isEqualTo(-0.5f);
    assertThat(folded[1]).isEqualTo(199f / 256 - 1);
  }

  @Test
  void zeroCenteredFoldMatchesWriterAndForwardPass() {
    float[][] cases = randomCases(1);
    float[] w = cases[0];
    float[] s = cases[1];
    float[] folded = AwqTransforms.foldNorm(w, s, Previous.ZERO_CENTERED_NORM, DType.BF16);
    for (int i = 0; i < CASES; i++) {
      float expected = Floats.roundToBf16((1f + w[i]) / s[i]);
      // The forward pass applies 1 + w'; the MLX writer stores bf16(w' + 1).
      assertThat(1f + folded[i])
          .as("forward multiplier, w %s s %s", w[i], s[i])
          .isEqualTo(expected);
      assertThat(Floats.roundToBf16(folded[i] + 1f))
          .as("written multiplier, w %s s %s", w[i], s[i])
          .isEqualTo(expected);
    }
  }

  @Test
  void roundingStoredWeightWouldBreakExactness() {
    float[][] cases = randomCases(2);
    int mismatches = 0;
    for (int i = 0; i < CASES; i++) {
      float rounded = Floats.roundToBf16((1f + cases[0][i]) / cases[1][i] - 1f);
      if (Floats.roundToBf16(rounded + 1f) != 1f + rounded) {
        mismatches++;
      }
    }
    assertThat(mismatches).as("cases where bf16(w') + 1 is not a bf16 value").isPositive();
  }

  @Test
  void plainFoldDividesAndRounds() {
    float[][] cases = randomCases(3);
    float[] folded = AwqTransforms.foldNorm(cases[0], cases[1], Previous.PLAIN_NORM, DType.BF16);
    for (int i = 0; i < CASES; i++) {
      assertThat(folded[i]).isEqualTo(Floats.roundToBf16(cases[0][i] / cases[1][i]));
    }
    float[] f32 =
        AwqTransforms.foldNorm(new float[] {1f}, new float[] {3f}, Previous.PLAIN_NORM, DType.F32);
    assertThat(f32[0]).isEqualTo(1f / 3f);
  }

  @Test
  void foldRejectsLinearRowsAndWidthMismatch() {
    assertThatThrownBy(
            () ->
                AwqTransforms.foldNorm(
                    new float[1], new float[1], Previous.LINEAR_ROWS, DType.BF16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot fold scales into a norm of kind LINEAR_ROWS; use divideRows for linear rows");
    assertThatThrownBy(
            () ->
                AwqTransforms.foldNorm(new float[2], new float[3], Previous.PLAIN_NORM, DType.BF16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot fold 3 scales into a norm weight of 2 values; they must match");
  }

  @Test
  void scaleColumnsRoundsOnce() {
    float[] w = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    float[] s = {1.5f, 0.25f, 3f};
    float[] scaled = AwqTransforms.scaleColumns(w, s, DType.BF16);
    for (int i = 0; i < w.length; i++) {
      assertThat(scaled[i]).as("element %d", i).isEqualTo(Floats.roundToBf16(w[i] * s[i % 3]));
    }
    assertThat(AwqTransforms.scaleColumns(w, s, DType.F32)[5]).isEqualTo(0.6f * 3f);
  }

  @Test
  void divideRowsUsesRowOffset() {
    float[] rows = {2f, 4f, 9f, 3f};
    AwqTransforms.divideRows(rows, 2, new float[] {10f, 2f, 3f}, 1);
    assertThat(rows).containsExactly(1f, 2f, 3f, 1f);
  }

  @Test
  void keyIdentifiesScales() {
    float[] s = {1f, 2f, 0.5f};
    assertThat(AwqTransforms.key(s)).isEqualTo(AwqTransforms.key(s.clone())).hasSize(16);
    assertThat(AwqTransforms.key(new float[] {1f, 2f, Math.nextUp(0.5f)}))
        .isNotEqualTo(AwqTransforms.key(s));
  }
}
