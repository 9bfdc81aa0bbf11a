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
  public static void scaleAndAdd(float beta, float[] y, int y0, float alpha, float[] x, int x0, int n) {
    if (VECTOR_API) {
      VectorKernels.scaleAndAdd(beta, y, y0, alpha, x, x0, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      y[y0 + i] = Math.fma(x[x0 + i], alpha, y[y0 + i] * beta);
    }
  }
}
