package io.bitsweep.model;

import io.bitsweep.tensor.Gemm;
import io.bitsweep.tensor.Parallel;
import java.util.Locale;

/** Row-wise building blocks of the forward pass: linear layers, RMSNorms and activations. */
final class Ops {
  /** Rows per task for row-wise elementwise work. */
  private static final int ROWS_PER_TASK = 16;

  private Ops() {}

  /**
   * Reads weight {@code name}, checks that it holds {@code outFeatures x inFeatures} values and
   * returns {@code x · Wᵀ} for {@code rows} rows of x. The input is first passed to {@link
   * WeightSource#observeInput}.
   */
  static float[] linear(
      WeightSource w, String name, float[] x, int rows, int inFeatures, int outFeatures) {
    w.observeInput(name, x, rows, inFeatures);
    float[] weight = weight(w, name, (long) outFeatures * inFeatures);
    float[] out = new float[Math.multiplyExact(rows, outFeatures)];
    Gemm.multiply(x, weight, out, rows, outFeatures, inFeatures);
    return out;
  }

  /** Reads a whole tensor and checks its element count against the config. */
  static float[] weight(WeightSource w, String name, long expectedElements) {
    float[] values = w.read(name);
    if (values.length != expectedElements) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Cannot use %s: the config implies %d elements, the weight source returned %d;"
                  + " validate the checkpoint against config.json",
              name,
              expectedElements,
              values.length));
    }
    return values;
  }

  /**
   * Returns the multiplier of an RMSNorm weight: {@code 1 + w} in fp32 for zero-centred norms
   * (Qwen3.5 and Qwen3-Next), {@code w} itself for plain ones (Llama, the DeltaNet gated norm).
   */
  static float[] normScale(WeightSource w, String name, int width, NormKind kind) {
    float[] weight = weight(w, name, width);
    if (kind == NormKind.PLAIN) {
      return weight;
    }
    float[] scale = new float[width];
    for (int i = 0; i < width; i++) {
      scale[i] = 1f + weight[i];
    }
    return scale;
  }

  /** How an RMSNorm weight is applied. */
  enum NormKind {
    ZERO_CENTERED,
    PLAIN
  }

  /** Returns RMSNorm of every row: {@code x / sqrt(mean(x²) + eps) · scale}. */
  static float[] rmsNormRows(float[] x, int rows, int width, float[] scale, double eps) {
    float[] out = new float[x.length];
    Parallel.forRange(
        rows,
        ROWS_PER_TASK,
        (from, to) -> {
          for (int r = from; r < to; r++) {
            rmsNorm(x, r * width, width, scale, eps, out, r * width);
          }
        });
    return out;
  }

  /** Normalises {@code width} values at {@code x[from]} into {@code out[to]}. */
  static void rmsNorm(
      float[] x, int from, int width, float[] scale, double eps, float[] out, int to) {
    double sum = 0;
    for (int i = 0; i < width; i++) {
      double v = x[from + i];
      sum += v * v;
    }
    float inverse = (float) (1.0 / Math.sqrt(sum / width + eps));
    for (int i = 0; i < width; i++) {
      out[to + i] = x[from + i] * inverse * scale[i];
    }
  }

  /** {@code x / (1 + e^-x)}. */
  static float silu(float x) {
    return (float) (x / (1.0 + Math.exp(-x)));
  }

  /** {@code 1 / (1 + e^-x)}. */
  static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }

  /** {@code ln(1 + e^x)}, returning x above 20 as PyTorch's softplus does. */
  static double softplus(double x) {
    return x > 20 ? x : Math.log1p(Math.exp(x));
  }

  /** Sets {@code gate[i] = silu(gate[i]) * up[i]} for the first {@code count} elements. */
  static void siluMultiply(float[] gate, float[] up, int count) {
    int grain = 1 << 14;
    Parallel.forRange(
        count,
        grain,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            gate[i] = silu(gate[i]) * up[i];
          }
        });
  }

  /** Adds {@code delta} to {@code x} element by element. */
  static void addInPlace(float[] x, float[] delta) {
    if (x.length != delta.length) {
      throw new IllegalArgumentException(
          "Cannot add arrays of " + x.length + " and " + delta.length + " elements");
    }
    for (int i = 0; i < x.length; i++) {
      x[i] += delta[i];
    }
  }
}
