package io.bitsweep.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. Only {@link Gemm} and {@link VectorOps} load this class, and only when the
 * {@code jdk.incubator.vector} module is present.
 *
 * <p>Every output element of a matrix product is computed the same way, whichever tile it falls in:
 * lanewise fused multiply-adds over whole vectors of K, a fixed tree of lanewise adds across the
 * lanes, then the K tail with scalar fused multiply-adds. A row's result therefore does not depend
 * on how many other rows are in the batch or how the work was split between threads.
 *
 * <p>The lane sum avoids {@code reduceLanes(ADD)}: its order is unspecified, and compiled and
 * interpreted code were seen to round differently, which made a row depend on its tile.
 */
final class VectorKernels {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** {@code ROTATIONS[i]} moves lane {@code j + 2^i} to lane j (mod LANES). */
  private static final VectorShuffle<Float>[] ROTATIONS = rotations();

  private VectorKernels() {}

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Float>[] rotations() {
    int steps = Integer.numberOfTrailingZeros(LANES);
    VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
    for (int i = 0; i < steps; i++) {
      shuffles[i] = VectorShuffle.iota(SPECIES, 1 << i, 1, true);
    }
    return shuffles;
  }

  /** Sums the lanes with a fixed tree of lanewise adds, so every JIT tier rounds alike. */
  private static float sumLanes(FloatVector v) {
    for (int i = ROTATIONS.length - 1; i >= 0; i--) {
      v = v.add(v.rearrange(ROTATIONS[i]));
    }
    return v.lane(0);
  }

  /** Lanes of the preferred float species (16 with AVX-512, 8 with AVX2). */
  static int lanes() {
    return LANES;
  }

  /**
   * Computes {@code C[t, j] = dot(A[t, :], W[j, :])} for t in {@code [t0, t1)} and j in {@code [n0,
   * n1)}, where A is {@code [T, k]} at {@code aOff}, W is {@code [N, k]} at {@code wOff} and C is
   * {@code [T, n]} at {@code cOff}, all row-major.
   */
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
    int t = t0;
    for (; t + 4 <= t1; t += 4) {
      int j = n0;
      for (; j + 4 <= n1; j += 4) {
        kernel4x4(a, aOff + t * k, w, wOff + j * k, k, c, cOff + t * n + j, n);
      }
      for (; j < n1; j++) {
        for (int r = 0; r < 4; r++) {
          c[cOff + (t + r) * n + j] = dot(a, aOff + (t + r) * k, w, wOff + j * k, k);
        }
      }
    }
    for (; t < t1; t++) {
      int j = n0;
      for (; j + 4 <= n1; j += 4) {
        kernel1x4(a, aOff + t * k, w, wOff + j * k, k, c, cOff + t * n + j);
      }
      for (; j < n1; j++) {
        c[cOff + t * n + j] = dot(a, aOff + t * k, w, wOff + j * k, k);
      }
    }
  }

  private static void kernel4x4(
      float[] a, int a0, float[] w, int w0, int k, float[] c, int c0, int ldc) {
    FloatVector s00 = FloatVector.zero(SPECIES);
    FloatVector s01 = s00, s02 = s00, s03 = s00;
    FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
    FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
    int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    int w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
    int bound = SPECIES.loopBound(k);
    for (int i = 0; i < bound; i += LANES) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, w, w0 + i);
      FloatVector x1 = FloatVector.fromArray(SPECIES, w, w1 + i);
      FloatVector x2 = FloatVector.fromArray(SPECIES, w, w2 + i);
      FloatVector x3 = FloatVector.fromArray(SPECIES, w, w3 + i);
      FloatVector r = FloatVector.fromArray(SPECIES, a, a0 + i);
      s00 = r.fma(x0, s00);
      s01 = r.fma(x1, s01);
      s02 = r.fma(x2, s02);
      s03 = r.fma(x3, s03);
      r = FloatVector.fromArray(SPECIES, a, a1 + i);
      s10 = r.fma(x0, s10);
      s11 = r.fma(x1, s11);
      s12 = r.fma(x2, s12);
      s13 = r.fma(x3, s13);
      r = FloatVector.fromArray(SPECIES, a, a2 + i);
      s20 = r.fma(x0, s20);
      s21 = r.fma(x1, s21);
      s22 = r.fma(x2, s22);
      s23 = r.fma(x3, s23);
      r = FloatVector.fromArray(SPECIES, a, a3 + i);
      s30 = r.fma(x0, s30);
      s31 = r.fma(x1, s31);
      s32 = r.fma(x2, s32);
      s33 = r.fma(x3, s33);
    }
    c[c0] = finish(s00, a, a0, w, w0, bound, k);
    c[c0 + 1] = finish(s01, a, a0, w, w1, bound, k);
    c[c0 + 2] = finish(s02, a, a0, w, w2, bound, k);
    c[c0 + 3] = finish(s03, a, a0, w, w3, bound, k);
    c0 += ldc;
    c[c0] = finish(s10, a, a1, w, w0, bound, k);
    c[c0 + 1] = finish(s11, a, a1, w, w1, bound, k);
    c[c0 + 2] = finish(s12, a, a1, w, w2, bound, k);
    c[c0 + 3] = finish(s13, a, a1, w, w3, bound, k);
    c0 += ldc;
    c[c0] = finish(s20, a, a2, w, w0, bound, k);
    c[c0 + 1] = finish(s21, a, a2, w, w1, bound, k);
    c[c0 + 2] = finish(s22, a, a2, w, w2, bound, k);
    c[c0 + 3] = finish(s23, a, a2, w, w3, bound, k);
    c0 += ldc;
    c[c0] = finish(s30, a, a3, w, w0, bound, k);
    c[c0 + 1] = finish(s31, a, a3, w, w1, bound, k);
    c[c0 + 2] = finish(s32, a, a3, w, w2, bound, k);
    c[c0 + 3] = finish(s33, a, a3, w, w3, bound, k);
  }

  private static void kernel1x4(float[] a, int a0, float[] w, int w0, int k, float[] c, int c0) {
    FloatVector s0 = FloatVector.zero(SPECIES);
    FloatVector s1 = s0, s2 = s0, s3 = s0;
    int w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
    int bound = SPECIES.loopBound(k);
    for (int i = 0; i < bound; i += LANES) {
      FloatVector r = FloatVector.fromArray(SPECIES, a, a0 + i);
      s0 = r.fma(FloatVector.fromArray(SPECIES, w, w0 + i), s0);
      s1 = r.fma(FloatVector.fromArray(SPECIES, w, w1 + i), s1);
      s2 = r.fma(FloatVector.fromArray(SPECIES, w, w2 + i), s2);
      s3 = r.fma(FloatVector.fromArray(SPECIES, w, w3 + i), s3);
    }
    c[c0] = finish(s0, a, a0, w, w0, bound, k);
    c[c0 + 1] = finish(s1, a, a0, w, w1, bound, k);
    c[c0 + 2] = finish(s2, a, a0, w, w2, bound, k);
    c[c0 + 3] = finish(s3, a, a0, w, w3, bound, k);
  }

  /** Dot product of {@code n} elements, with the same rounding as the matrix kernels. */
  static float dot(float[] a, int a0, float[] b, int b0, int n) {
    FloatVector s = FloatVector.zero(SPECIES);
    int bound = SPECIES.loopBound(n);
    for (int i = 0; i < bound; i += LANES) {
      s =
          FloatVector.fromArray(SPECIES, a, a0 + i)
              .fma(FloatVector.fromArray(SPECIES, b, b0 + i), s);
    }
    return finish(s, a, a0, b, b0, bound, n);
  }

  private static float finish(
      FloatVector lanes, float[] a, int a0, float[] b, int b0, int from, int to) {
    float sum = sumLanes(lanes);
    for (int i = from; i < to; i++) {
      sum = Math.fma(a[a0 + i], b[b0 + i], sum);
    }
    return sum;
  }

  /** {@code y[i] += alpha * x[i]} for {@code n} elements. */
  static void axpy(float alpha, float[] x, int x0, float[] y, int y0, int n) {
    FloatVector va = FloatVector.broadcast(SPECIES, alpha);
    int bound = SPECIES.loopBound(n);
    int i = 0;
    for (; i < bound; i += LANES) {
      FloatVector vy = FloatVector.fromArray(SPECIES, y, y0 + i);
      FloatVector.fromArray(SPECIES, x, x0 + i).fma(va, vy).intoArray(y, y0 + i);
    }
    for (; i < n; i++) {
      y[y0 + i] = Math.fma(x[x0 + i], alpha, y[y0 + i]);
    }
  }

  /** {@code y[i] = beta * y[i] + alpha * x[i]} for {@code n} elements. */
  static void scaleAndAdd(float beta, float[] y, int y0, float alpha, float[] x, int x0, int n) {
    FloatVector va = FloatVector.broadcast(SPECIES, alpha);
    FloatVector vb = FloatVector.broadcast(SPECIES, beta);
    int bound = SPECIES.loopBound(n);
    int i = 0;
    for (; i < bound; i += LANES) {
      FloatVector vy = FloatVector.fromArray(SPECIES, y, y0 + i).mul(vb);
      FloatVector.fromArray(SPECIES, x, x0 + i).fma(va, vy).intoArray(y, y0 + i);
    }
    for (; i < n; i++) {
      y[y0 + i] = Math.fma(x[x0 + i], alpha, y[y0 + i] * beta);
    }
  }

  private static final VectorSpecies<Short> HALF_SHORTS =
      ShortVector.SPECIES_PREFERRED.withShape(
          jdk.incubator.vector.VectorShape.forBitSize(Math.max(64, SPECIES.vectorBitSize() / 2)));

  /** Widens {@code n} bf16 bit patterns to fp32: each becomes the high half of a float. */
  static void bf16ToFloat(short[] src, int s0, float[] dst, int d0, int n) {
    int i = 0;
    if (HALF_SHORTS.length() == LANES) {
      int bound = HALF_SHORTS.loopBound(n);
      for (; i < bound; i += LANES) {
        ShortVector.fromArray(HALF_SHORTS, src, s0 + i)
            .convertShape(VectorOperators.S2I, IntVector.SPECIES_PREFERRED, 0)
            .reinterpretAsInts()
            .lanewise(VectorOperators.LSHL, 16)
            .reinterpretAsFloats()
            .intoArray(dst, d0 + i);
      }
    }
    for (; i < n; i++) {
      dst[d0 + i] = Float.intBitsToFloat(src[s0 + i] << 16);
    }
  }

  /** Same contract as {@link VectorOps#deltaRuleStep}. */
  static void deltaRuleStep(
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
    int c = 0;
    for (; c + LANES <= dv; c += LANES) {
      // m = Sᵀk for this block of columns, from the undecayed state.
      FloatVector m = FloatVector.zero(SPECIES);
      for (int r = 0; r < dk; r++) {
        m =
            FloatVector.fromArray(SPECIES, state, so + r * dv + c)
                .fma(FloatVector.broadcast(SPECIES, k[ko + r]), m);
      }
      FloatVector delta = FloatVector.fromArray(SPECIES, v, vo + c).sub(m.mul(alpha)).mul(beta);
      // S ← αS + k δᵀ, then o = Sᵀq.
      FloatVector o = FloatVector.zero(SPECIES);
      for (int r = 0; r < dk; r++) {
        int index = so + r * dv + c;
        FloatVector decayed = FloatVector.fromArray(SPECIES, state, index).mul(alpha);
        FloatVector updated = delta.fma(FloatVector.broadcast(SPECIES, k[ko + r]), decayed);
        updated.intoArray(state, index);
        o = updated.fma(FloatVector.broadcast(SPECIES, q[qo + r]), o);
      }
      o.intoArray(out, oo + c);
    }
    if (c < dv) {
      ScalarKernels.deltaRuleColumns(
          state, so, dk, dv, q, qo, k, ko, v, vo, alpha, beta, out, oo, c);
    }
  }
}
