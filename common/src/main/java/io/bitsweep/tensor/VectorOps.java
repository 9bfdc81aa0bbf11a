package io.bitsweep.tensor;

/**
 * Dot products and vector updates on slices of float arrays, through the JDK Vector API when the
 * {@code jdk.incubator.vector} module is loaded and through plain loops otherwise.
 */
public final class VectorOps {
  /** Whether the Vector API kernels are in use (the JVM was started with the incubator module). */
  public static final boolean VECTOR_API =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private VectorOps() {}

  /** Returns {@code sum(a[a0 + i] * b[b0 + i])} over {@code n} elements. */
  public static float dot(float[] a, int a0, float[] b, int b0, int n) {
    if (VECTOR_API) {
      return VectorKernels.dot(a, a0, b, b0, n);
    }
    return ScalarKernels.dot(a, a0, b, b0, n);
  }

  /** Adds {@code alpha * x[x0 + i]} to {@code y[y0 + i]} for {@code n} elements. */
  public static void axpy(float alpha, float[] x, int x0, float[] y, int y0, int n) {
    if (VECTOR_API) {
      VectorKernels.axpy(alpha, x, x0, y, y0, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      y[y0 + i] = Math.fma(x[x0 + i], alpha, y[y0 + i]);
    }
  }

  /** Sets {@code y[y0 + i] = beta * y[y0 + i] + alpha * x[x0 + i]} for {@code n} elements. */
  public static void scaleAndAdd(
      float beta, float[] y, int y0, float alpha, float[] x, int x0, int n) {
    if (VECTOR_API) {
      VectorKernels.scaleAndAdd(beta, y, y0, alpha, x, x0, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      y[y0 + i] = Math.fma(x[x0 + i], alpha, y[y0 + i] * beta);
    }
  }

  /** Widens {@code n} bf16 bit patterns (as stored in safetensors) to fp32, exactly. */
  public static void bf16ToFloat(short[] src, int s0, float[] dst, int d0, int n) {
    if (VECTOR_API) {
      VectorKernels.bf16ToFloat(src, s0, dst, d0, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      dst[d0 + i] = Float.intBitsToFloat(src[s0 + i] << 16);
    }
  }

  /**
   * Advances the gated delta rule of one head by one token. {@code state} is {@code S [dk, dv]}
   * row-major at {@code so}; q and k hold dk values, v and out dv values. In order: decay {@code S
   * ← alpha·S}, read {@code m = Sᵀk}, delta {@code d = beta·(v − m)}, write {@code S ← S + k dᵀ},
   * and read out {@code out = Sᵀq} after the write. The read uses the undecayed state times alpha,
   * which equals the decayed read up to rounding.
   */
  public static void deltaRuleStep(
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
      int oo) {
    if (VECTOR_API) {
      VectorKernels.deltaRuleStep(state, so, dk, dv, q, qo, k, ko, v, vo, alpha, beta, out, oo);
    } else {
      ScalarKernels.deltaRuleColumns(
          state, so, dk, dv, q, qo, k, ko, v, vo, alpha, beta, out, oo, 0);
    }
  }
}
