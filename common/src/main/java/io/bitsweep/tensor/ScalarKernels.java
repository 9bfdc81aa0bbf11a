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
