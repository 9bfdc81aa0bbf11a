package io.bitsweep.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.tensor.Gemm.Backend;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GemmTest {
  /**
   * Allowed error relative to the sum of |a·w| terms: fp32 accumulation over K terms loses about
   * K·2⁻²⁴ of that sum in the worst case; K is at most 300 here.
   */
  private static final double RELATIVE_TOLERANCE = 300 * 0x1p-24;

  private static final int[][] SHAPES = {
    {1, 1, 1},
    {1, 5, 7},
    {3, 4, 16},
    {4, 4, 17},
    {5, 9, 33},
    {67, 130, 100},
    {8, 64, 300},
    {130, 70, 64},
    {2, 300, 31}
  };

  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesDoubleReference(Backend backend) {
    Random random = new Random(42);
    for (int[] shape : SHAPES) {
      int t = shape[0], n = shape[1], k = shape[2];
      float[] a = randomArray(random, t * k + 3);
      float[] w = randomArray(random, n * k + 5);
      float[] c = new float[t * n + 2];
      Gemm.multiply(backend, a, 3, w, 5, c, 2, t, n, k);
      double worst = 0;
      for (int i = 0; i < t; i++) {
        for (int j = 0; j < n; j++) {
          double exact = 0, magnitude = 0;
          for (int p = 0; p < k; p++) {
            double term = (double) a[3 + i * k + p] * w[5 + j * k + p];
            exact += term;
            magnitude += Math.abs(term);
          }
          worst = Math.max(worst, Math.abs(c[2 + i * n + j] - exact) / (magnitude + 1e-30));
        }
      }
      assertThat(worst)
          .as("max relative error of %s for T=%d N=%d K=%d", backend, t, n, k)
          .isLessThanOrEqualTo(RELATIVE_TOLERANCE);
      assertThat(c[0]).as("C before its offset is untouched").isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Backend.class,
      names = {"VECTOR", "SCALAR"})
  void rowsIndependentOfBatch(Backend backend) {
    Random random = new Random(7);
    int t = 37, n = 150, k = 203;
    float[] a = randomArray(random, t * k);
    float[] w = randomArray(random, n * k);
    float[] batch = new float[t * n];
    Gemm.multiply(backend, a, 0, w, 0, batch, 0, t, n, k);
    for (int row : new int[] {0, 5, 36}) {
      float[] single = new float[n];
      Gemm.multiply(backend, a, row * k, w, 0, single, 0, 1, n, k);
      assertThat(single)
          .as("row %d alone equals row %d of the batch bit for bit", row, row)
          .containsExactly(Arrays.copyOfRange(batch, row * n, row * n + n));
    }
  }

  @Test
  void vectorMatchesScalarBits() {
    Random random = new Random(11);
    int[][] shapes = {
      {1, 7, 5},
      {3, 50, 33},
      {16, 49, 64},
      {31, 97, 40},
      {32, 48, 17},
      {64, 50, 7},
      {70, 96, 16},
      {77, 150, 130}
    };
    for (int[] shape : shapes) {
      int t = shape[0], n = shape[1], k = shape[2];
      float[] a = randomArray(random, t * k);
      float[] w = randomArray(random, n * k);
      float[] vector = new float[t * n];
      float[] scalar = new float[t * n];
      Gemm.multiply(Backend.VECTOR, a, 0, w, 0, vector, 0, t, n, k);
      Gemm.multiply(Backend.SCALAR, a, 0, w, 0, scalar, 0, t, n, k);
      assertThat(vector)
          .as("vector and scalar backends round alike for T=%d N=%d K=%d", t, n, k)
          .containsExactly(scalar);
    }
  }

  @Test
  void rowsIndependentOfBatchSize() {
    Random random = new Random(13);
    int n = 101, k = 70;
    float[] a = randomArray(random, 300 * k);
    float[] w = randomArray(random, n * k);
    float[] all = new float[300 * n];
    Gemm.multiply(Backend.VECTOR, a, 0, w, 0, all, 0, 300, n, k);
    for (int t : new int[] {1, 2, 9, 16, 17, 31, 32, 33, 100, 299}) {
      int first = 300 - t;
      float[] part = new float[t * n];
      Gemm.multiply(Backend.VECTOR, a, first * k, w, 0, part, 0, t, n, k);
      assertThat(part)
          .as("last %d rows alone equal the same rows of a 300-row batch", t)
          .containsExactly(Arrays.copyOfRange(all, first * n, 300 * n));
    }
  }

  @Test
  void rejectsShortArrays() {
    assertThatThrownBy(() -> Gemm.multiply(new float[3], new float[5], new float[2], 1, 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot multiply: W needs 2 x 3 = 6 floats from offset 0, but its array holds 5");
  }

  @Test
  void parsesBackendProperty() {
    assertThat(Gemm.parseBackend(null)).isEqualTo(Backend.AUTO);
    assertThat(Gemm.parseBackend(" Vector ")).isEqualTo(Backend.VECTOR);
    assertThatThrownBy(() -> Gemm.parseBackend("gpu"))
        .hasMessage("Invalid -Dbitsweep.gemm=gpu: expected auto, vector, blas or scalar");
  }

  private static float[] randomArray(Random random, int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
