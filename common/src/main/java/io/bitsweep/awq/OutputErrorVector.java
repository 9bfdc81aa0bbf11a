package io.bitsweep.awq;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link OutputError}'s dot products, bit-identical to the scalar form:
 * partial sum {@code l} (of eight) accumulates the products of elements {@code i ≡ l (mod 8)} with
 * one rounded multiply and one rounded add each, which one 8-lane vector, or two 4-lane vectors
 * where the hardware has no 256-bit vectors, do lane by lane. Several rows share each load. Only
 * {@link OutputError} loads this class, and only when the {@code jdk.incubator.vector} module is
 * present.
 */
final class OutputErrorVector {
  private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;
  private static final VectorSpecies<Float> QUARTER = FloatVector.SPECIES_128;

  /** Whether 256-bit vectors run natively; otherwise the Vector API would emulate them, slowly. */
  static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;

  private OutputErrorVector() {}

  /**
   * Stores in {@code out[0..3]} the dot products of {@code a[a0 ..]} with the four rows {@code b[b0
   * + r · n ..]}, {@code r = 0..3}, each {@code n} long.
   */
  static void dot4(float[] a, int a0, float[] b, int b0, int n, float[] out) {
    FloatVector zero = FloatVector.zero(QUARTER);
    FloatVector lo0 = zero, hi0 = zero, lo1 = zero, hi1 = zero;
    FloatVector lo2 = zero, hi2 = zero, lo3 = zero, hi3 = zero;
    int b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      FloatVector xLo = FloatVector.fromArray(QUARTER, a, a0 + i);
      FloatVector xHi = FloatVector.fromArray(QUARTER, a, a0 + i + 4);
      lo0 = lo0.add(xLo.mul(FloatVector.fromArray(QUARTER, b, b0 + i)));
      hi0 = hi0.add(xHi.mul(FloatVector.fromArray(QUARTER, b, b0 + i + 4)));
      lo1 = lo1.add(xLo.mul(FloatVector.fromArray(QUARTER, b, b1 + i)));
      hi1 = hi1.add(xHi.mul(FloatVector.fromArray(QUARTER, b, b1 + i + 4)));
      lo2 = lo2.add(xLo.mul(FloatVector.fromArray(QUARTER, b, b2 + i)));
      hi2 = hi2.add(xHi.mul(FloatVector.fromArray(QUARTER, b, b2 + i + 4)));
      lo3 = lo3.add(xLo.mul(FloatVector.fromArray(QUARTER, b, b3 + i)));
      hi3 = hi3.add(xHi.mul(FloatVector.fromArray(QUARTER, b, b3 + i + 4)));
    }
    out[0] = finish(lo0, hi0, a, a0, b, b0, i, n);
    out[1] = finish(lo1, hi1, a, a0, b, b1, i, n);
    out[2] = finish(lo2, hi2, a, a0, b, b2, i, n);
    out[3] = finish(lo3, hi3, a, a0, b, b3, i, n);
  }

  /**
   * Stores in {@code out[2 · r + k]} the dot product of input row {@code a[ak ..]} ({@code k = 0,
   * 1} for {@code a0, a1}) with weight row {@code b[b0 + r · n ..]}, {@code r = 0..3}.
   */
  static void dot4x2(float[] a, int a0, int a1, float[] b, int b0, int n, float[] out) {
    FloatVector zero = FloatVector.zero(EIGHT);
    FloatVector s00 = zero, s01 = zero, s10 = zero, s11 = zero;
    FloatVector s20 = zero, s21 = zero, s30 = zero, s31 = zero;
    int b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      FloatVector x0 = FloatVector.fromArray(EIGHT, a, a0 + i);
      FloatVector x1 = FloatVector.fromArray(EIGHT, a, a1 + i);
      FloatVector w = FloatVector.fromArray(EIGHT, b, b0 + i);
      s00 = s00.add(x0.mul(w));
      s01 = s01.add(x1.mul(w));
      w = FloatVector.fromArray(EIGHT, b, b1 + i);
      s10 = s10.add(x0.mul(w));
      s11 = s11.add(x1.mul(w));
      w = FloatVector.fromArray(EIGHT, b, b2 + i);
      s20 = s20.add(x0.mul(w));
      s21 = s21.add(x1.mul(w));
      w = FloatVector.fromArray(EIGHT, b, b3 + i);
      s30 = s30.add(x0.mul(w));
      s31 = s31.add(x1.mul(w));
    }
    out[0] = finish8(s00, a, a0, b, b0, i, n);
    out[1] = finish8(s01, a, a1, b, b0, i, n);
    out[2] = finish8(s10, a, a0, b, b1, i, n);
    out[3] = finish8(s11, a, a1, b, b1, i, n);
    out[4] = finish8(s20, a, a0, b, b2, i, n);
    out[5] = finish8(s21, a, a1, b, b2, i, n);
    out[6] = finish8(s30, a, a0, b, b3, i, n);
    out[7] = finish8(s31, a, a1, b, b3, i, n);
  }

  private static float finish8(
      FloatVector sum, float[] a, int a0, float[] b, int b0, int from, int n) {
    float s0 = sum.lane(0);
    for (int i = from; i < n; i++) {
      s0 += a[a0 + i] * b[b0 + i];
    }
    return ((s0 + sum.lane(1)) + (sum.lane(2) + sum.lane(3)))
        + ((sum.lane(4) + sum.lane(5)) + (sum.lane(6) + sum.lane(7)));
  }

  /** Adds the tail to partial sum 0 and combines the eight partial sums as the scalar form does. */
  private static float finish(
      FloatVector lo, FloatVector hi, float[] a, int a0, float[] b, int b0, int from, int n) {
    float s0 = lo.lane(0);
    for (int i = from; i < n; i++) {
      s0 += a[a0 + i] * b[b0 + i];
    }
    return ((s0 + lo.lane(1)) + (lo.lane(2) + lo.lane(3)))
        + ((hi.lane(0) + hi.lane(1)) + (hi.lane(2) + hi.lane(3)));
  }
}
