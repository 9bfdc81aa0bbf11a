package io.bitsweep.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. Only {@link Gemm} and {@link VectorOps} load this class, and only when the
 * {@code jdk.incubator.vector} module is present.
 *
 * <p>The matrix-product kernels ({@link #multiplyPacked}, {@link #multiplyFewTokens}) compute every
 * element of C as one chain of fused multiply-adds over K in ascending order, like {@link
 * ScalarKernels#dot}, whichever kernel or tile it falls in. A row's result therefore does not
 * depend on how many other rows are in the batch or how the work was split between threads.
 *
 * <p>{@link #dot} (attention scores) uses another order: lanewise fused multiply-adds over whole
 * vectors of K, a fixed tree of lanewise adds across the lanes, then the K tail with scalar fused
 * multiply-adds. The lane sum avoids {@code reduceLanes(ADD)}: its order is unspecified, and
 * compiled and interpreted code were seen to round differently.
 */
final class VectorKernels {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** {@code ROTATIONS[i]} moves lane {@code j + 2^i} to lane j (mod LANES). */
  private static final VectorShuffle<Float>[] ROTATIONS = rotations();

  /*
   * Shuffles and masks of the 16 × 16 transpose in packPanel, built only for 16 lanes. UP_d moves
   * lane l - d to lane l, DOWN_d moves lane l + d to lane l, and MASK_d selects the lanes with bit
   * d set.
   */
  private static final boolean TRANSPOSE_16 = LANES == 16;
  private static final VectorShuffle<Float> UP_8 = rotation(-8), UP_4 = rotation(-4);
  private static final VectorShuffle<Float> UP_2 = rotation(-2), UP_1 = rotation(-1);
  private static final VectorShuffle<Float> DOWN_8 = rotation(8), DOWN_4 = rotation(4);
  private static final VectorShuffle<Float> DOWN_2 = rotation(2), DOWN_1 = rotation(1);
  private static final VectorMask<Float> MASK_8 = bitMask(8), MASK_4 = bitMask(4);
  private static final VectorMask<Float> MASK_2 = bitMask(2), MASK_1 = bitMask(1);

  private static VectorShuffle<Float> rotation(int distance) {
    return TRANSPOSE_16 ? VectorShuffle.iota(SPECIES, distance, 1, true) : null;
  }

  private static VectorMask<Float> bitMask(int bit) {
    if (!TRANSPOSE_16) {
      return null;
    }
    boolean[] set = new boolean[LANES];
    for (int l = 0; l < LANES; l++) {
      set[l] = (l & bit) != 0;
    }
    return VectorMask.fromArray(SPECIES, set, 0);
  }

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

  /** Columns of C per packed panel of W: three vectors. */
  static final int PANEL_COLUMNS = 3 * LANES;

  /**
   * Rows of A per register tile in the packed kernel. The 8 × 3 accumulators fit the 32 vector
   * registers of AVX-512; narrower species use 4 × 3, which also fits the 16 registers of AVX2.
   */
  private static final int TILE_ROWS = LANES >= 16 ? 8 : 4;

  /**
   * Computes {@code C[t, j] = Σ_k A[t, k]·W[j, k]} for t in {@code [t0, t1)} and j in {@code [n0,
   * n1)}, where A is {@code [T, k]} at {@code aOff}, W is {@code [N, k]} at {@code wOff} and C is
   * {@code [T, n]} at {@code cOff}, all row-major. Each element is one chain of fused multiply-adds
   * over k in ascending order, starting from zero, as in {@link ScalarKernels#dot}.
   *
   * <p>Packs each panel of three vectors' worth of columns of W transposed into {@code [k,
   * PANEL_COLUMNS]} once, then multiplies every token of the block against it with broadcast
   * elements of A. The packing reads {@code (n1 - n0)·k} floats, so the block should span many
   * tokens; {@link #multiplyFewTokens} suits blocks of a few.
   */
  static void multiplyPacked(
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
    float[] panel = new float[k * PANEL_COLUMNS];
    float[] scratch = new float[TILE_ROWS * PANEL_COLUMNS];
    for (int j = n0; j < n1; j += PANEL_COLUMNS) {
      int width = Math.min(PANEL_COLUMNS, n1 - j);
      packPanel(w, wOff + j * k, k, width, panel);
      boolean whole = width == PANEL_COLUMNS;
      int t = t0;
      while (t < t1) {
        int rows = 1;
        if (t + TILE_ROWS <= t1) {
          rows = TILE_ROWS;
        } else if (t + 4 <= t1) {
          rows = 4;
        }
        if (whole) {
          tile(rows, a, aOff + t * k, k, panel, c, cOff + t * n + j, n);
        } else {
          tile(rows, a, aOff + t * k, k, panel, scratch, 0, PANEL_COLUMNS);
          copyColumns(scratch, c, cOff + t * n + j, n, rows, width);
        }
        t += rows;
      }
    }
  }

  /**
   * Computes the same elements as {@link #multiplyPacked}, with the same rounding, for a block of
   * at most {@link #lanes()} tokens. The vector lanes run along the tokens: the block of A is
   * transposed into {@code [k, LANES]}, and each element of W is broadcast. W is read once and not
   * packed, which suits products with few tokens. A single token runs {@link
   * ScalarKernels#multiplyRow} instead, which leaves no lanes empty.
   */
  static void multiplyFewTokens(
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
    int tokens = t1 - t0;
    if (tokens > LANES) {
      throw new IllegalArgumentException(
          "Invalid token block: multiplyFewTokens accepts at most "
              + LANES
              + " tokens, got "
              + tokens);
    }
    if (tokens == 1) {
      ScalarKernels.multiplyRow(a, aOff + t0 * k, w, wOff, c, cOff + t0 * n, k, n0, n1);
      return;
    }
    float[] columns = new float[k * LANES];
    for (int r = 0; r < tokens; r++) {
      int from = aOff + (t0 + r) * k;
      for (int i = 0; i < k; i++) {
        columns[i * LANES + r] = a[from + i];
      }
    }
    float[] sums = new float[LANES];
    int c0 = cOff + t0 * n;
    int j = n0;
    for (; j + 8 <= n1; j += 8) {
      int w0 = wOff + j * k;
      FloatVector s0 = FloatVector.zero(SPECIES);
      FloatVector s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
      for (int i = 0, q = 0; i < k; i++, q += LANES) {
        FloatVector x = FloatVector.fromArray(SPECIES, columns, q);
        s0 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + i]), s0);
        s1 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + 1 * k + i]), s1);
        s2 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + 2 * k + i]), s2);
        s3 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + 3 * k + i]), s3);
        s4 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + 4 * k + i]), s4);
        s5 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + 5 * k + i]), s5);
        s6 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + 6 * k + i]), s6);
        s7 = x.fma(FloatVector.broadcast(SPECIES, w[w0 + 7 * k + i]), s7);
      }
      storeColumn(s0, sums, c, c0 + j, n, tokens);
      storeColumn(s1, sums, c, c0 + j + 1, n, tokens);
      storeColumn(s2, sums, c, c0 + j + 2, n, tokens);
      storeColumn(s3, sums, c, c0 + j + 3, n, tokens);
      storeColumn(s4, sums, c, c0 + j + 4, n, tokens);
      storeColumn(s5, sums, c, c0 + j + 5, n, tokens);
      storeColumn(s6, sums, c, c0 + j + 6, n, tokens);
      storeColumn(s7, sums, c, c0 + j + 7, n, tokens);
    }
    for (; j < n1; j++) {
      int w0 = wOff + j * k;
      FloatVector s0 = FloatVector.zero(SPECIES);
      for (int i = 0, q = 0; i < k; i++, q += LANES) {
        s0 =
            FloatVector.fromArray(SPECIES, columns, q)
                .fma(FloatVector.broadcast(SPECIES, w[w0 + i]), s0);
      }
      storeColumn(s0, sums, c, c0 + j, n, tokens);
    }
  }

  /** Writes lanes {@code [0, tokens)} of {@code v} to {@code c[c0 + r·ldc]}. */
  private static void storeColumn(
      FloatVector v, float[] sums, float[] c, int c0, int ldc, int tokens) {
    v.intoArray(sums, 0);
    for (int r = 0; r < tokens; r++) {
      c[c0 + r * ldc] = sums[r];
    }
  }

  /** Writes rows {@code [0, width)} of W at {@code w0} as columns of {@code panel [k, PANEL]}. */
  private static void packPanel(float[] w, int w0, int k, int width, float[] panel) {
    int i = 0;
    if (TRANSPOSE_16 && width == PANEL_COLUMNS) {
      for (; i + LANES <= k; i += LANES) {
        for (int r = 0; r < PANEL_COLUMNS; r += LANES) {
          transpose16(w, w0 + r * k + i, k, panel, i * PANEL_COLUMNS + r, PANEL_COLUMNS);
        }
      }
    }
    for (; i < k; i++) {
      int to = i * PANEL_COLUMNS;
      int from = w0 + i;
      for (int r = 0; r < width; r++) {
        panel[to + r] = w[from + r * k];
      }
      for (int r = width; r < PANEL_COLUMNS; r++) {
        panel[to + r] = 0f;
      }
    }
  }

  /**
   * Copies the 16 × 16 block of {@code src} whose rows start at {@code s0 + r·lds} into {@code dst}
   * transposed, so that row r becomes the column at {@code d0 + r} of rows {@code d0 + l·ldd}. Each
   * of the four steps swaps one bit of the row index with the same bit of the lane index. The
   * vectors stay in locals because the JIT kept them in registers only that way: a version with an
   * array of vectors ran about 13 times slower.
   */
  private static void transpose16(float[] src, int s0, int lds, float[] dst, int d0, int ldd) {
    FloatVector r0 = FloatVector.fromArray(SPECIES, src, s0);
    FloatVector r1 = FloatVector.fromArray(SPECIES, src, s0 + lds);
    FloatVector r2 = FloatVector.fromArray(SPECIES, src, s0 + 2 * lds);
    FloatVector r3 = FloatVector.fromArray(SPECIES, src, s0 + 3 * lds);
    FloatVector r4 = FloatVector.fromArray(SPECIES, src, s0 + 4 * lds);
    FloatVector r5 = FloatVector.fromArray(SPECIES, src, s0 + 5 * lds);
    FloatVector r6 = FloatVector.fromArray(SPECIES, src, s0 + 6 * lds);
    FloatVector r7 = FloatVector.fromArray(SPECIES, src, s0 + 7 * lds);
    FloatVector r8 = FloatVector.fromArray(SPECIES, src, s0 + 8 * lds);
    FloatVector r9 = FloatVector.fromArray(SPECIES, src, s0 + 9 * lds);
    FloatVector r10 = FloatVector.fromArray(SPECIES, src, s0 + 10 * lds);
    FloatVector r11 = FloatVector.fromArray(SPECIES, src, s0 + 11 * lds);
    FloatVector r12 = FloatVector.fromArray(SPECIES, src, s0 + 12 * lds);
    FloatVector r13 = FloatVector.fromArray(SPECIES, src, s0 + 13 * lds);
    FloatVector r14 = FloatVector.fromArray(SPECIES, src, s0 + 14 * lds);
    FloatVector r15 = FloatVector.fromArray(SPECIES, src, s0 + 15 * lds);

    // Step 1 swaps bit 3 (rows r and r + 8).
    FloatVector e0 = r0.blend(r8.rearrange(UP_8), MASK_8);
    FloatVector e8 = r0.rearrange(DOWN_8).blend(r8, MASK_8);
    FloatVector e1 = r1.blend(r9.rearrange(UP_8), MASK_8);
    FloatVector e9 = r1.rearrange(DOWN_8).blend(r9, MASK_8);
    FloatVector e2 = r2.blend(r10.rearrange(UP_8), MASK_8);
    FloatVector e10 = r2.rearrange(DOWN_8).blend(r10, MASK_8);
    FloatVector e3 = r3.blend(r11.rearrange(UP_8), MASK_8);
    FloatVector e11 = r3.rearrange(DOWN_8).blend(r11, MASK_8);
    FloatVector e4 = r4.blend(r12.rearrange(UP_8), MASK_8);
    FloatVector e12 = r4.rearrange(DOWN_8).blend(r12, MASK_8);
    FloatVector e5 = r5.blend(r13.rearrange(UP_8), MASK_8);
    FloatVector e13 = r5.rearrange(DOWN_8).blend(r13, MASK_8);
    FloatVector e6 = r6.blend(r14.rearrange(UP_8), MASK_8);
    FloatVector e14 = r6.rearrange(DOWN_8).blend(r14, MASK_8);
    FloatVector e7 = r7.blend(r15.rearrange(UP_8), MASK_8);
    FloatVector e15 = r7.rearrange(DOWN_8).blend(r15, MASK_8);

    // Step 2 swaps bit 2 (rows r and r + 4).
    FloatVector f0 = e0.blend(e4.rearrange(UP_4), MASK_4);
    FloatVector f4 = e0.rearrange(DOWN_4).blend(e4, MASK_4);
    FloatVector f1 = e1.blend(e5.rearrange(UP_4), MASK_4);
    FloatVector f5 = e1.rearrange(DOWN_4).blend(e5, MASK_4);
    FloatVector f2 = e2.blend(e6.rearrange(UP_4), MASK_4);
    FloatVector f6 = e2.rearrange(DOWN_4).blend(e6, MASK_4);
    FloatVector f3 = e3.blend(e7.rearrange(UP_4), MASK_4);
    FloatVector f7 = e3.rearrange(DOWN_4).blend(e7, MASK_4);
    FloatVector f8 = e8.blend(e12.rearrange(UP_4), MASK_4);
    FloatVector f12 = e8.rearrange(DOWN_4).blend(e12, MASK_4);
    FloatVector f9 = e9.blend(e13.rearrange(UP_4), MASK_4);
    FloatVector f13 = e9.rearrange(DOWN_4).blend(e13, MASK_4);
    FloatVector f10 = e10.blend(e14.rearrange(UP_4), MASK_4);
    FloatVector f14 = e10.rearrange(DOWN_4).blend(e14, MASK_4);
    FloatVector f11 = e11.blend(e15.rearrange(UP_4), MASK_4);
    FloatVector f15 = e11.rearrange(DOWN_4).blend(e15, MASK_4);

    // Step 3 swaps bit 1 (rows r and r + 2).
    FloatVector g0 = f0.blend(f2.rearrange(UP_2), MASK_2);
    FloatVector g2 = f0.rearrange(DOWN_2).blend(f2, MASK_2);
    FloatVector g1 = f1.blend(f3.rearrange(UP_2), MASK_2);
    FloatVector g3 = f1.rearrange(DOWN_2).blend(f3, MASK_2);
    FloatVector g4 = f4.blend(f6.rearrange(UP_2), MASK_2);
    FloatVector g6 = f4.rearrange(DOWN_2).blend(f6, MASK_2);
    FloatVector g5 = f5.blend(f7.rearrange(UP_2), MASK_2);
    FloatVector g7 = f5.rearrange(DOWN_2).blend(f7, MASK_2);
    FloatVector g8 = f8.blend(f10.rearrange(UP_2), MASK_2);
    FloatVector g10 = f8.rearrange(DOWN_2).blend(f10, MASK_2);
    FloatVector g9 = f9.blend(f11.rearrange(UP_2), MASK_2);
    FloatVector g11 = f9.rearrange(DOWN_2).blend(f11, MASK_2);
    FloatVector g12 = f12.blend(f14.rearrange(UP_2), MASK_2);
    FloatVector g14 = f12.rearrange(DOWN_2).blend(f14, MASK_2);
    FloatVector g13 = f13.blend(f15.rearrange(UP_2), MASK_2);
    FloatVector g15 = f13.rearrange(DOWN_2).blend(f15, MASK_2);

    // Step 4 swaps bit 0 (rows r and r + 1).
    FloatVector h0 = g0.blend(g1.rearrange(UP_1), MASK_1);
    FloatVector h1 = g0.rearrange(DOWN_1).blend(g1, MASK_1);
    FloatVector h2 = g2.blend(g3.rearrange(UP_1), MASK_1);
    FloatVector h3 = g2.rearrange(DOWN_1).blend(g3, MASK_1);
    FloatVector h4 = g4.blend(g5.rearrange(UP_1), MASK_1);
    FloatVector h5 = g4.rearrange(DOWN_1).blend(g5, MASK_1);
    FloatVector h6 = g6.blend(g7.rearrange(UP_1), MASK_1);
    FloatVector h7 = g6.rearrange(DOWN_1).blend(g7, MASK_1);
    FloatVector h8 = g8.blend(g9.rearrange(UP_1), MASK_1);
    FloatVector h9 = g8.rearrange(DOWN_1).blend(g9, MASK_1);
    FloatVector h10 = g10.blend(g11.rearrange(UP_1), MASK_1);
    FloatVector h11 = g10.rearrange(DOWN_1).blend(g11, MASK_1);
    FloatVector h12 = g12.blend(g13.rearrange(UP_1), MASK_1);
    FloatVector h13 = g12.rearrange(DOWN_1).blend(g13, MASK_1);
    FloatVector h14 = g14.blend(g15.rearrange(UP_1), MASK_1);
    FloatVector h15 = g14.rearrange(DOWN_1).blend(g15, MASK_1);

    h0.intoArray(dst, d0);
    h1.intoArray(dst, d0 + ldd);
    h2.intoArray(dst, d0 + 2 * ldd);
    h3.intoArray(dst, d0 + 3 * ldd);
    h4.intoArray(dst, d0 + 4 * ldd);
    h5.intoArray(dst, d0 + 5 * ldd);
    h6.intoArray(dst, d0 + 6 * ldd);
    h7.intoArray(dst, d0 + 7 * ldd);
    h8.intoArray(dst, d0 + 8 * ldd);
    h9.intoArray(dst, d0 + 9 * ldd);
    h10.intoArray(dst, d0 + 10 * ldd);
    h11.intoArray(dst, d0 + 11 * ldd);
    h12.intoArray(dst, d0 + 12 * ldd);
    h13.intoArray(dst, d0 + 13 * ldd);
    h14.intoArray(dst, d0 + 14 * ldd);
    h15.intoArray(dst, d0 + 15 * ldd);
  }

  private static void copyColumns(float[] tile, float[] c, int c0, int ldc, int rows, int width) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(tile, r * PANEL_COLUMNS, c, c0 + r * ldc, width);
    }
  }

  private static void tile(
      int rows, float[] a, int a0, int k, float[] panel, float[] c, int c0, int ldc) {
    if (rows == 8) {
      tile8x3(a, a0, k, panel, c, c0, ldc);
    } else if (rows == 4) {
      tile4x3(a, a0, k, panel, c, c0, ldc);
    } else {
      tile1x3(a, a0, k, panel, c, c0);
    }
  }

  private static void tile8x3(float[] a, int a0, int k, float[] p, float[] c, int c0, int ldc) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector c00 = zero, c01 = zero, c02 = zero;
    FloatVector c10 = zero, c11 = zero, c12 = zero;
    FloatVector c20 = zero, c21 = zero, c22 = zero;
    FloatVector c30 = zero, c31 = zero, c32 = zero;
    FloatVector c40 = zero, c41 = zero, c42 = zero;
    FloatVector c50 = zero, c51 = zero, c52 = zero;
    FloatVector c60 = zero, c61 = zero, c62 = zero;
    FloatVector c70 = zero, c71 = zero, c72 = zero;
    int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k, a4 = a3 + k, a5 = a4 + k, a6 = a5 + k, a7 = a6 + k;

    for (int i = 0, q = 0; i < k; i++, q += PANEL_COLUMNS) {
      FloatVector w0 = FloatVector.fromArray(SPECIES, p, q);
      FloatVector w1 = FloatVector.fromArray(SPECIES, p, q + LANES);
      FloatVector w2 = FloatVector.fromArray(SPECIES, p, q + 2 * LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + i]);
      c00 = x.fma(w0, c00);
      c01 = x.fma(w1, c01);
      c02 = x.fma(w2, c02);
      x = FloatVector.broadcast(SPECIES, a[a1 + i]);
      c10 = x.fma(w0, c10);
      c11 = x.fma(w1, c11);
      c12 = x.fma(w2, c12);
      x = FloatVector.broadcast(SPECIES, a[a2 + i]);
      c20 = x.fma(w0, c20);
      c21 = x.fma(w1, c21);
      c22 = x.fma(w2, c22);
      x = FloatVector.broadcast(SPECIES, a[a3 + i]);
      c30 = x.fma(w0, c30);
      c31 = x.fma(w1, c31);
      c32 = x.fma(w2, c32);
      x = FloatVector.broadcast(SPECIES, a[a4 + i]);
      c40 = x.fma(w0, c40);
      c41 = x.fma(w1, c41);
      c42 = x.fma(w2, c42);
      x = FloatVector.broadcast(SPECIES, a[a5 + i]);
      c50 = x.fma(w0, c50);
      c51 = x.fma(w1, c51);
      c52 = x.fma(w2, c52);
      x = FloatVector.broadcast(SPECIES, a[a6 + i]);
      c60 = x.fma(w0, c60);
      c61 = x.fma(w1, c61);
      c62 = x.fma(w2, c62);
      x = FloatVector.broadcast(SPECIES, a[a7 + i]);
      c70 = x.fma(w0, c70);
      c71 = x.fma(w1, c71);
      c72 = x.fma(w2, c72);
    }

    c00.intoArray(c, c0);
    c01.intoArray(c, c0 + LANES);
    c02.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c10.intoArray(c, c0);
    c11.intoArray(c, c0 + LANES);
    c12.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c20.intoArray(c, c0);
    c21.intoArray(c, c0 + LANES);
    c22.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c30.intoArray(c, c0);
    c31.intoArray(c, c0 + LANES);
    c32.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c40.intoArray(c, c0);
    c41.intoArray(c, c0 + LANES);
    c42.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c50.intoArray(c, c0);
    c51.intoArray(c, c0 + LANES);
    c52.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c60.intoArray(c, c0);
    c61.intoArray(c, c0 + LANES);
    c62.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c70.intoArray(c, c0);
    c71.intoArray(c, c0 + LANES);
    c72.intoArray(c, c0 + 2 * LANES);
  }

  private static void tile4x3(float[] a, int a0, int k, float[] p, float[] c, int c0, int ldc) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector c00 = zero, c01 = zero, c02 = zero;
    FloatVector c10 = zero, c11 = zero, c12 = zero;
    FloatVector c20 = zero, c21 = zero, c22 = zero;
    FloatVector c30 = zero, c31 = zero, c32 = zero;
    int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (int i = 0, q = 0; i < k; i++, q += PANEL_COLUMNS) {
      FloatVector w0 = FloatVector.fromArray(SPECIES, p, q);
      FloatVector w1 = FloatVector.fromArray(SPECIES, p, q + LANES);
      FloatVector w2 = FloatVector.fromArray(SPECIES, p, q + 2 * LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + i]);
      c00 = x.fma(w0, c00);
      c01 = x.fma(w1, c01);
      c02 = x.fma(w2, c02);
      x = FloatVector.broadcast(SPECIES, a[a1 + i]);
      c10 = x.fma(w0, c10);
      c11 = x.fma(w1, c11);
      c12 = x.fma(w2, c12);
      x = FloatVector.broadcast(SPECIES, a[a2 + i]);
      c20 = x.fma(w0, c20);
      c21 = x.fma(w1, c21);
      c22 = x.fma(w2, c22);
      x = FloatVector.broadcast(SPECIES, a[a3 + i]);
      c30 = x.fma(w0, c30);
      c31 = x.fma(w1, c31);
      c32 = x.fma(w2, c32);
    }
    c00.intoArray(c, c0);
    c01.intoArray(c, c0 + LANES);
    c02.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c10.intoArray(c, c0);
    c11.intoArray(c, c0 + LANES);
    c12.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c20.intoArray(c, c0);
    c21.intoArray(c, c0 + LANES);
    c22.intoArray(c, c0 + 2 * LANES);
    c0 += ldc;
    c30.intoArray(c, c0);
    c31.intoArray(c, c0 + LANES);
    c32.intoArray(c, c0 + 2 * LANES);
  }

  private static void tile1x3(float[] a, int a0, int k, float[] p, float[] c, int c0) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector c00 = zero, c01 = zero, c02 = zero;
    for (int i = 0, q = 0; i < k; i++, q += PANEL_COLUMNS) {
      FloatVector w0 = FloatVector.fromArray(SPECIES, p, q);
      FloatVector w1 = FloatVector.fromArray(SPECIES, p, q + LANES);
      FloatVector w2 = FloatVector.fromArray(SPECIES, p, q + 2 * LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + i]);
      c00 = x.fma(w0, c00);
      c01 = x.fma(w1, c01);
      c02 = x.fma(w2, c02);
    }
    c00.intoArray(c, c0);
    c01.intoArray(c, c0 + LANES);
    c02.intoArray(c, c0 + 2 * LANES);
  }

  /** Dot product of {@code n} elements, rounded in the lane order described on this class. */
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
