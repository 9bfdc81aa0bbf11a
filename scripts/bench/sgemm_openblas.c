/*
 * Reference throughput of OpenBLAS sgemm on the projection shapes of Qwen3.5-0.8B, for comparison
 * with bitsweep's Java matrix products (io.bitsweep.tensor.GemmBenchmark) in the same run.
 * Computes C[T,N] = A[T,K] * W[N,K]^T, the layout of a linear layer, and prints one line per shape.
 *
 * Build: gcc -O2 -o sgemm_openblas sgemm_openblas.c -l:libopenblas.so.0
 * Run:   OPENBLAS_NUM_THREADS=2 ./sgemm_openblas 2048
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int tokens = argc > 1 ? atoi(argv[1]) : 2048;
  int shapes[][2] = {{1024, 1024}, {6144, 1024}, {3584, 1024}, {1024, 3584}, {4096, 1024}};
  printf("%-8s %6s %6s %6s %10s %10s\n", "backend", "T", "N", "K", "ms", "GFLOP/s");
  for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
    int n = shapes[s][0], k = shapes[s][1];
    float *a = malloc(sizeof(float) * tokens * k);
    float *w = malloc(sizeof(float) * n * k);
    float *c = malloc(sizeof(float) * tokens * n);
    for (long i = 0; i < (long)tokens * k; i++) a[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    for (long i = 0; i < (long)n * k; i++) w[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
    cblas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, tokens, n, k, 1.0f, a, k, w, k, 0.0f, c, n);
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
      double start = now();
      cblas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, tokens, n, k, 1.0f, a, k, w, k, 0.0f, c, n);
      double seconds = now() - start;
      if (seconds < best) best = seconds;
    }
    printf("%-8s %6d %6d %6d %10.3f %10.2f\n", "openblas", tokens, n, k, best * 1e3,
           2.0 * tokens * n * k / best / 1e9);
    free(a);
    free(w);
    free(c);
  }
  return 0;
}
