package io.bitsweep.awq;

import io.bitsweep.tensor.Parallel;

/**
 * The squared output error {@code ||X · Eᵀ||²} of an error matrix {@code E = W - Ŵ} over input rows
 * X, computed in a fixed order of float operations that does not depend on the machine. Each dot
 * product runs eight interleaved fp32 partial sums (Java evaluates {@code a * b + c} as two rounded
 * operations, never fused). Squares are summed in double per output row, then row by row within a
 * block of rows, then block by block. The AWQ search picks among close candidates with it, so the
 * evaluator and the MLX writer, which may run on different machines, must obtain the same losses
 * bit for bit.
 */
final class OutputError {
  /** Output rows per parallel task. */
  private static final int ROWS_PER_TASK = 32;

  /** Whether {@link OutputErrorVector} can run; it gives the same results as the scalar loop. */
  static final boolean VECTOR_KERNEL =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private OutputError() {}

  /**
   * Returns {@code Σ_t Σ_j (Σ_i x[t, i] · e[j, i])²}.
   *
   * @param x input rows, row-major {@code [rows, in]}
   * @param e error matrix, row-major {@code [out, in]}
   */
  static double squaredError(float[] x, int rows, float[] e, int out, int in) {
    return squaredError(x, rows, e, out, in, VECTOR_KERNEL);
  }

  /** Same as above, with the Vector API kernel or without it, for tests. */
  static double squaredError(float[] x, int rows, float[] e, int out, int in, boolean vector) {
    int blocks = (out + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    double[] partial = new double[blocks];
    Parallel.forEach(
        blocks,
        block -> {
          int from = block * ROWS_PER_TASK;
          int to = Math.min(out, from + ROWS_PER_TASK);
          partial[block] = blockError(x, rows, e, from, to, in, vector);
        });
    double total = 0;
    for (double value : partial) {
      total += value;
    }
    return total;
  }

  /** Returns the squared error of output rows {@code from .. to - 1}. */
  private static double blockError(
      float[] x, int rows, float[] e, int from, int to, int in, boolean vector) {
    double[] sums = new double[to - from];
    float[] dots = new float[8];
    int j = from;
    if (vector) {
      for (; j + 4 <= to; j += 4) {
        int t = 0;
        if (OutputErrorVector.WIDE) {
          for (; t + 2 <= rows; t += 2) {
            OutputErrorVector.dot4x2(x, t * in, (t + 1) * in, e, j * in, in, dots);
            for (int k = 0; k < 8; k++) {
              sums[j - from + k / 2] += (double) dots[k] * dots[k];
            }
          }
        }
        for (; t < rows; t++) {
          OutputErrorVector.dot4(x, t * in, e, j * in, in, dots);
          for (int r = 0; r < 4; r++) {
            sums[j - from + r] += (double) dots[r] * dots[r];
          }
        }
      }
    }
    for (; j < to; j++) {
      for (int t = 0; t < rows; t++) {
        double y = dot(x, t * in, e, j * in, in);
        sums[j - from] += y * y;
      }
    }
    double sum = 0;
    for (double value : sums) {
      sum += value;
    }
    return sum;
  }

  /** The scalar form of the dot product; {@link OutputErrorVector} must match it bit for bit. */
  static float dot(float[] a, int a0, float[] b, int b0, int n) {
    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      s0 += a[a0 + i] * b[b0 + i];
      s1 += a[a0 + i + 1] * b[b0 + i + 1];
      s2 += a[a0 + i + 2] * b[b0 + i + 2];
      s3 += a[a0 + i + 3] * b[b0 + i + 3];
      s4 += a[a0 + i + 4] * b[b0 + i + 4];
      s5 += a[a0 + i + 5] * b[b0 + i + 5];
      s6 += a[a0 + i + 6] * b[b0 + i + 6];
      s7 += a[a0 + i + 7] * b[b0 + i + 7];
    }
    for (; i < n; i++) {
      s0 += a[a0 + i] * b[b0 + i];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }
}
