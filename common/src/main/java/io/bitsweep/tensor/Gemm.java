package io.bitsweep.tensor;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matrix products in the PyTorch linear-layer layout: {@code C[T, N] = A[T, K] · W[N, K]ᵀ}, with
 * activations A and weights W both row-major (W is {@code [out_features, in_features]}).
 *
 * <p>Backends: {@code vector} (JDK Vector API kernels on the shared {@link Parallel} pool), {@code
 * blas} (sgemm of {@code dev.ludovic.netlib}, native when a system BLAS is loaded, Java otherwise),
 * {@code scalar} (plain loops) and {@code auto}. The system property {@value #BACKEND_PROPERTY}
 * picks one; {@code auto} uses native BLAS for matrix-matrix shapes when a native library is
 * loaded, and the vector kernels otherwise.
 *
 * <p>The vector backend picks a kernel by T alone:
 *
 * <ul>
 *   <li>T = 1: eight scalar multiply-add chains at once ({@code ScalarKernels.multiplyRow}).
 *   <li>1 &lt; T &lt; {@value #PACKED_MIN_TOKENS}: vector lanes along the tokens, with W read
 *       unpacked ({@code VectorKernels.multiplyFewTokens}).
 *   <li>T ≥ {@value #PACKED_MIN_TOKENS}: each task packs a panel of W columns transposed and runs
 *       register tiles of 8 tokens × 3 vectors of columns against it ({@code
 *       VectorKernels.multiplyPacked}).
 * </ul>
 *
 * <p>With the vector and scalar backends every element of C is the same chain of fused
 * multiply-adds over K in ascending order, starting from zero, whatever the kernel, tile or thread
 * split. A row's result therefore does not depend on T or on the other rows in the batch, and the
 * two backends give the same bits. BLAS libraries make no such promise: their blocking depends on
 * T, so with {@code auto} and a native BLAS a row can change in the last bits when the batch around
 * it changes. Set {@code -Dbitsweep.gemm=vector} where bit-for-bit batch independence matters more
 * than speed.
 *
 * <p>Speed without a native BLAS, from {@code GemmBenchmark} on a shared 2-core AVX-512 machine
 * (BENCHMARKS.md has the runs): the packed kernel ran the Qwen3.5-0.8B shapes at T = 2048 at 128 to
 * 296 GFLOP/s, 1.4 to 5 times the lane-reduction kernel it replaced. A sequential chain per element
 * cannot spread one token over vector lanes, so T = 1 products ran at 9 to 17 GFLOP/s against 11 to
 * 22 for the old kernel.
 */
public final class Gemm {
  /** System property that selects the backend: {@code auto} (default), vector, blas or scalar. */
  public static final String BACKEND_PROPERTY = "bitsweep.gemm";

  /** Products smaller than this many multiply-adds run on the calling thread. */
  private static final long PARALLEL_THRESHOLD = 1L << 16;

  /**
   * Smallest T for the packed vector kernel; smaller products run {@code multiplyFewTokens}. Both
   * kernels round every element alike, so this only sets speed.
   */
  private static final int PACKED_MIN_TOKENS = 32;

  /** Minimum tokens per task of the packed kernel, which packs its panel of W once per task. */
  private static final int PACKED_MIN_TOKENS_PER_TASK = 128;

  /** Tasks per pool thread that the packed kernel aims for, so that threads finish together. */
  private static final int TASKS_PER_THREAD = 4;

  /** Weight rows per task of the few-tokens kernel, which reads W without packing it. */
  private static final int FEW_TOKENS_COLUMNS = 256;

  /**
   * Weight rows per task of the scalar kernel: 64 rows of K = 1024 floats stay in a 256 KiB L2
   * cache.
   */
  private static final int ROWS_PER_TASK = 64;

  /** Activation rows per task of the scalar kernel and of the Java BLAS. */
  private static final int TOKENS_PER_TASK = 64;

  /**
   * Smallest T for which {@code auto} prefers native BLAS over the vector kernels. Against the
   * packed vector kernel, on a 2-core AVX-512 machine with Debian's OpenBLAS 0.3.21 and the
   * Qwen3.5-0.8B shapes, sgemm ran 1.2 to 1.4 times as fast at T = 2048, 1.4 to 1.9 times at T =
   * 64 to 256 and 1.7 to 3.8 times at T = 32 (GemmBenchmark, BENCHMARKS.md).
   */
  private static final int BLAS_MIN_TOKENS = 32;

  private static final Logger LOG = LoggerFactory.getLogger(Gemm.class);

  /** The ways a product can be computed. */
  public enum Backend {
    AUTO,
    VECTOR,
    BLAS,
    SCALAR
  }

  private static final Backend CONFIGURED = parseBackend(System.getProperty(BACKEND_PROPERTY));

  private Gemm() {}

  /** Parses a {@value #BACKEND_PROPERTY} value; null or blank means {@code auto}. */
  public static Backend parseBackend(String value) {
    if (value == null || value.isBlank()) {
      return Backend.AUTO;
    }
    try {
      return Backend.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Invalid -D" + BACKEND_PROPERTY + "=" + value + ": expected auto, vector, blas or scalar",
          e);
    }
  }

  /** Returns the backend chosen by {@value #BACKEND_PROPERTY}. */
  public static Backend configuredBackend() {
    return CONFIGURED;
  }

  /** Returns whether {@code BLAS.getInstance()} is a native (JNI) BLAS, not netlib's Java code. */
  public static boolean nativeBlasLoaded() {
    return BlasHolder.NATIVE;
  }

  /** Returns the class of {@code BLAS.getInstance()}, for logs and benchmark reports. */
  public static String blasImplementation() {
    return BlasHolder.INSTANCE.getClass().getName();
  }

  /** Computes {@code C[t, n] = A[t, k] · W[n, k]ᵀ} on whole arrays with the configured backend. */
  public static void multiply(float[] a, float[] w, float[] c, int t, int n, int k) {
    multiply(CONFIGURED, a, 0, w, 0, c, 0, t, n, k);
  }

  /** Same as the method below, with the configured backend. */
  public static void multiply(
      float[] a, int aOff, float[] w, int wOff, float[] c, int cOff, int t, int n, int k) {
    multiply(CONFIGURED, a, aOff, w, wOff, c, cOff, t, n, k);
  }

  /**
   * Computes {@code C[t, n] = A[t, k] · W[n, k]ᵀ} where A starts at {@code aOff}, W at {@code wOff}
   * and C at {@code cOff}, all row-major and contiguous. C is overwritten.
   */
  public static void multiply(
      Backend backend,
      float[] a,
      int aOff,
      float[] w,
      int wOff,
      float[] c,
      int cOff,
      int t,
      int n,
      int k) {
    checkBounds("A", a, aOff, t, k);
    checkBounds("W", w, wOff, n, k);
    checkBounds("C", c, cOff, t, n);
    if (t == 0 || n == 0) {
      return;
    }
    switch (resolve(backend, t)) {
      case BLAS -> multiplyBlas(a, aOff, w, wOff, c, cOff, t, n, k);
      case SCALAR -> multiplyScalar(a, aOff, w, wOff, c, cOff, t, n, k);
      default -> multiplyVector(a, aOff, w, wOff, c, cOff, t, n, k);
    }
  }

  private static Backend resolve(Backend backend, int t) {
    if (backend == Backend.VECTOR && !VectorOps.VECTOR_API) {
      return Backend.SCALAR;
    }
    if (backend != Backend.AUTO) {
      return backend;
    }
    if (t >= BLAS_MIN_TOKENS && nativeBlasLoaded()) {
      return Backend.BLAS;
    }
    return VectorOps.VECTOR_API ? Backend.VECTOR : Backend.SCALAR;
  }

  private static void checkBounds(String label, float[] array, int offset, int rows, int cols) {
    long needed = (long) rows * cols;
    if (rows < 0 || cols < 0 || offset < 0 || offset + needed > array.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot multiply: %s needs %d x %d = %d floats from offset %d, but its array holds"
                  + " %d",
              label,
              rows,
              cols,
              needed,
              offset,
              array.length));
    }
  }

  private static void multiplyScalar(
      float[] a, int aOff, float[] w, int wOff, float[] c, int cOff, int t, int n, int k) {
    int rowBlocks = (n + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    int tokenBlocks = (t + TOKENS_PER_TASK - 1) / TOKENS_PER_TASK;
    int tasks = (long) t * n * k < PARALLEL_THRESHOLD ? 1 : rowBlocks * tokenBlocks;
    Parallel.forEach(
        tasks,
        task -> {
          int t0 = tasks == 1 ? 0 : (task / rowBlocks) * TOKENS_PER_TASK;
          int t1 = tasks == 1 ? t : Math.min(t, t0 + TOKENS_PER_TASK);
          int n0 = tasks == 1 ? 0 : (task % rowBlocks) * ROWS_PER_TASK;
          int n1 = tasks == 1 ? n : Math.min(n, n0 + ROWS_PER_TASK);
          ScalarKernels.multiplyBlock(a, aOff, w, wOff, c, cOff, n, k, t0, t1, n0, n1);
        });
  }

  private static void multiplyVector(
      float[] a, int aOff, float[] w, int wOff, float[] c, int cOff, int t, int n, int k) {
    boolean serial = (long) t * n * k < PARALLEL_THRESHOLD;
    if (t < PACKED_MIN_TOKENS) {
      int lanes = VectorKernels.lanes();
      int tokenBlocks = (t + lanes - 1) / lanes;
      int columnBlocks = serial ? 1 : (n + FEW_TOKENS_COLUMNS - 1) / FEW_TOKENS_COLUMNS;
      int columnsPerBlock = (n + columnBlocks - 1) / columnBlocks;
      Parallel.forEach(
          tokenBlocks * columnBlocks,
          task -> {
            int t0 = (task / columnBlocks) * lanes;
            int n0 = (task % columnBlocks) * columnsPerBlock;
            int t1 = Math.min(t, t0 + lanes);
            int n1 = Math.min(n, n0 + columnsPerBlock);
            VectorKernels.multiplyFewTokens(a, aOff, w, wOff, c, cOff, n, k, t0, t1, n0, n1);
          });
      return;
    }
    int panelColumns = VectorKernels.PANEL_COLUMNS;
    int panels = (n + panelColumns - 1) / panelColumns;
    int tokenBlocks = serial ? 1 : packedTokenBlocks(t, panels);
    int tokensPerBlock = (t + tokenBlocks - 1) / tokenBlocks;
    Parallel.forEach(
        serial ? 1 : panels * tokenBlocks,
        task -> {
          int t0 = serial ? 0 : (task / panels) * tokensPerBlock;
          int t1 = serial ? t : Math.min(t, t0 + tokensPerBlock);
          int n0 = serial ? 0 : (task % panels) * panelColumns;
          int n1 = serial ? n : Math.min(n, n0 + panelColumns);
          VectorKernels.multiplyPacked(a, aOff, w, wOff, c, cOff, n, k, t0, t1, n0, n1);
        });
  }

  /**
   * Returns how many token blocks to split a packed product into: enough for {@value
   * #TASKS_PER_THREAD} tasks per pool thread, but no block shorter than {@value
   * #PACKED_MIN_TOKENS_PER_TASK} tokens, because every block packs its panels of W again.
   */
  private static int packedTokenBlocks(int t, int panels) {
    int forBalance = (TASKS_PER_THREAD * Parallel.parallelism() + panels - 1) / panels;
    return Math.max(1, Math.min(forBalance, t / PACKED_MIN_TOKENS_PER_TASK));
  }

  /*
   * Row-major C[t, n] is column-major Cᵀ [n, t]. With W row-major [n, k] read as column-major
   * [k, n] and A row-major [t, k] read as column-major [k, t], Cᵀ = op(W) · A with op = transpose.
   */
  private static void multiplyBlas(
      float[] a, int aOff, float[] w, int wOff, float[] c, int cOff, int t, int n, int k) {
    BLAS blas = BlasHolder.INSTANCE;
    if (BlasHolder.NATIVE) {
      blas.sgemm("T", "N", n, t, k, 1f, w, wOff, k, a, aOff, k, 0f, c, cOff, n);
      return;
    }
    int rowBlocks = (n + ROWS_PER_TASK * 4 - 1) / (ROWS_PER_TASK * 4);
    int tokenBlocks = (t + TOKENS_PER_TASK - 1) / TOKENS_PER_TASK;
    Parallel.forEach(
        rowBlocks * tokenBlocks,
        task -> {
          int t0 = (task / rowBlocks) * TOKENS_PER_TASK;
          int tn = Math.min(t, t0 + TOKENS_PER_TASK) - t0;
          int n0 = (task % rowBlocks) * ROWS_PER_TASK * 4;
          int nn = Math.min(n, n0 + ROWS_PER_TASK * 4) - n0;
          blas.sgemm(
              "T",
              "N",
              nn,
              tn,
              k,
              1f,
              w,
              wOff + n0 * k,
              k,
              a,
              aOff + t0 * k,
              k,
              0f,
              c,
              cOff + t0 * n + n0,
              n);
        });
  }

  private static final class BlasHolder {
    static final BLAS INSTANCE = BLAS.getInstance();
    static final boolean NATIVE = INSTANCE instanceof NativeBLAS;

    static {
      if (NATIVE) {
        LOG.info(
            "Matrix products of {} tokens or more use native BLAS {}",
            BLAS_MIN_TOKENS,
            INSTANCE.getClass().getName());
      } else {
        LOG.info(
            "No native BLAS found, so matrix products use the Java Vector API kernels; a system"
                + " OpenBLAS (Debian: libopenblas0-pthread) makes large products faster");
      }
    }
  }
}
