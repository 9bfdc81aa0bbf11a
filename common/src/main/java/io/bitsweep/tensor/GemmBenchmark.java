package io.bitsweep.tensor;

import io.bitsweep.tensor.Gemm.Backend;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints the throughput of every {@link Gemm} backend on the matrix shapes of a Qwen3.5-0.8B layer,
 * one aligned line per backend and shape. Run with {@code java --add-modules jdk.incubator.vector
 * -cp <classpath> io.bitsweep.tensor.GemmBenchmark [tokens]}.
 */
public final class GemmBenchmark {
  private static final int[][] SHAPES = {
    {1024, 1024}, {6144, 1024}, {3584, 1024}, {1024, 3584}, {4096, 1024}
  };

  private GemmBenchmark() {}

  public static void main(String[] args) {
    int[] tokenCounts = args.length == 0 ? new int[] {16, 256} : new int[args.length];
    for (int i = 0; i < args.length; i++) {
      tokenCounts[i] = Integer.parseInt(args[i]);
    }
    System.out.printf(
        Locale.ROOT,
        "threads %d, vector API %s, BLAS %s%n",
        Parallel.parallelism(),
        VectorOps.VECTOR_API,
        Gemm.blasImplementation());
    System.out.printf(
        Locale.ROOT, "%-8s %6s %6s %6s %10s %10s%n", "backend", "T", "N", "K", "ms", "GFLOP/s");
    for (int tokens : tokenCounts) {
      for (int[] shape : SHAPES) {
        run(tokens, shape[0], shape[1]);
      }
    }
  }

  private static void run(int tokens, int n, int k) {
    {
      float[] a = random(tokens * k, 1);
      float[] w = random(n * k, 2);
      float[] c = new float[tokens * n];
      for (Backend backend : new Backend[] {Backend.VECTOR, Backend.BLAS, Backend.SCALAR}) {
        if (backend == Backend.SCALAR && tokens > 64) {
          continue;
        }
        double seconds = time(backend, a, w, c, tokens, n, k);
        double gflops = 2.0 * tokens * n * k / seconds / 1e9;
        System.out.printf(
            Locale.ROOT,
            "%-8s %6d %6d %6d %10.2f %10.1f%n",
            backend,
            tokens,
            n,
            k,
            seconds * 1e3,
            gflops);
      }
    }
  }

  private static double time(
      Backend backend, float[] a, float[] w, float[] c, int t, int n, int k) {
    for (int i = 0; i < 3; i++) {
      Gemm.multiply(backend, a, 0, w, 0, c, 0, t, n, k);
    }
    // Best of 5, as scripts/bench/sgemm_openblas.c reports OpenBLAS, so the two compare alike.
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      Gemm.multiply(backend, a, 0, w, 0, c, 0, t, n, k);
      best = Math.min(best, System.nanoTime() - start);
    }
    return best / 1e9;
  }

  private static float[] random(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) (random.nextDouble() - 0.5);
    }
    return values;
  }
}
