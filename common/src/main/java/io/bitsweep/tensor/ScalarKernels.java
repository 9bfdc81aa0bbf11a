package io.bitsweep.tensor;

/**
 * Plain-Java kernels used when the Vector API is absent or {@code -Dbitsweep.gemm=scalar} is set.
 * Each output element is one sequential fused multiply-add chain over K, so results are independent
 * of the batch size and of the thread split, like the vector kernels.
 */
final class ScalarKernels {
  private ScalarKernels() {}

  /** Same contract as {@link VectorKernels#multiplyBlock}. */
  static void multiplyBlock(
      float[] a,
      int aOff,
      float[] w,
      int wOff,
      float[] c,
      int cOff,
      int n,
      int k,
      int t0,
      int t1,
      int n0,
      int n1) {
    for (int t = t0; t < t1; t++) {
      for (int j = n0; j < n1; j++) {
        c[cOff + t * n + j] = dot(a, aOff + t * k, w, wOff + j * k, k);
      }
    }
  }

  /**
   * Computes {@code c[c0 + j] = dot(a[a0 ..], W[j, :])} for j in {@code [n0, n1)}, where W is
   * {@code [N, k]} at {@code w0}. Runs eight chains at once, which hides the latency of each fused
   * multiply-add but keeps every chain in the order of {@link #dot}.
   */
  static void multiplyRow(
      float[] a, int a0, float[] w, int w0, float[] c, int c0, int k, int n0, int n1) {
    int j = n0;
    for (; j + 8 <= n1; j += 8) {
      int r0 = w0 + j * k;
      float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
      for (int i = 0; i < k; i++) {
        float x = a[a0 + i];
        int r = r0 + i;
        s0 = Math.fma(x, w[r], s0);
        s1 = Math.fma(x, w[r + k], s1);
        s2 = Math.fma(x, w[r + 2 * k], s2);
        s3 = Math.fma(x, w[r + 3 * k], s3);
        s4 = Math.fma(x, w[r + 4 * k], s4);
        s5 = Math.fma(x, w[r + 5 * k], s5);
        s6 = Math.fma(x, w[r + 6 * k], s6);
        s7 = Math.fma(x, w[r + 7 * k], s7);
      }
      c[c0 + j] = s0;
      c[c0 + j + 1] = s1;
      c[c0 + j + 2] = s2;
      c[c0 + j + 3] = s3;
      c[c0 + j + 4] = s4;
      c[c0 + j + 5] = s5;
      c[c0 + j + 6] = s6;
      c[c0 + j + 7] = s7;
    }
    for (; j < n1; j++) {
      c[c0 + j] = dot(a, a0, w, w0 + j * k, k);
    }
  }

  static float dot(float[] a, int a0, float[] b, int b0, int n) {
    float sum = 0f;
    for (int i = 0; i < n; i++) {
      sum = Math.fma(a[a0 + i], b[b0 + i], sum);
    }
    return sum;
  }

  /** {@link VectorOps#deltaRuleStep} for state columns {@code [from, dv)}. */
  static void deltaRuleColumns(
      float[] state,
      int so,
      int dk,
      int dv,
      float[] q,
      int qo,
      float[] k,
      int ko,
      float[] v,
      int vo,
      float alpha,
      float beta,
      float[] out,
      int oo,
      int from) {
    for (int j = from; j < dv; j++) {
      float m = 0f;
      for (int r = 0; r < dk; r++) {
        m = Math.fma(state[so + r * dv + j], k[ko + r], m);
      }
      float delta = (v[vo + j] - m * alpha) * beta;
      float o = 0f;
      for (int r = 0; r < dk; r++) {
        int index = so + r * dv + j;
        float updated = Math.fma(delta, k[ko + r], state[index] * alpha);
        state[index] = updated;
        o = Math.fma(updated, q[qo + r], o);
      }
      out[oo + j] = o;
    }
  }
}
