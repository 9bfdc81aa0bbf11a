package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fixed-order error kernel: vector and scalar forms agree bit for bit, and with a reference.
 */
class AwqOutputErrorTest {
  private static float[] random(SplittableRandom random, int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return values;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 8, 13, 64, 130})
  void vectorDotsMatchScalar(int n) {
    assumeTrue(OutputError.VECTOR_KERNEL, "the jdk.incubator.vector module is not loaded");
    SplittableRandom random = new SplittableRandom(n);
    float[] a = random(random, 2 * n);
    float[] b = random(random, 4 * n);
    float[] four = new float[4];
    OutputErrorVector.dot4(a, 0, b, 0, n, four);
    float[] eight = new float[8];
    OutputErrorVector.dot4x2(a, 0, n, b, 0, n, eight);
    for (int r = 0; r < 4; r++) {
      float expected = OutputError.dot(a, 0, b, r * n, n);
      assertThat(four[r]).as("dot4 row %d", r).isEqualTo(expected);
      assertThat(eight[2 * r]).as("dot4x2 row %d, input 0", r).isEqualTo(expected);
      assertThat(eight[2 * r + 1])
          .as("dot4x2 row %d, input 1", r)
          .isEqualTo(OutputError.dot(a, n, b, r * n, n));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 8, 29, 130})
  void squaredErrorMatchesReference(int in) {
    SplittableRandom random = new SplittableRandom(100 + in);
    int rows = 7;
    int out = 70;
    float[] x = random(random, rows * in);
    float[] e = random(random, out * in);
    double expected = 0;
    for (int t = 0; t < rows; t++) {
      for (int j = 0; j < out; j++) {
        double y = 0;
        for (int i = 0; i < in; i++) {
          y += (double) x[t * in + i] * e[j * in + i];
        }
        expected += y * y;
      }
    }
    double scalar = OutputError.squaredError(x, rows, e, out, in, false);
    assertThat(scalar).isCloseTo(expected, within(1e-5 * expected));
    if (OutputError.VECTOR_KERNEL) {
      assertThat(OutputError.squaredError(x, rows, e, out, in, true)).isEqualTo(scalar);
    }
  }
}
