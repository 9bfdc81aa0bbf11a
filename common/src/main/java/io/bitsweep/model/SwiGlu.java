package io.bitsweep.model;

import io.bitsweep.tensor.Gemm;

/**
 * The SwiGLU feed-forward block {@code down(silu(gate(x)) ⊙ up(x))}, used by dense MLPs, routed
 * experts and shared experts. Tokens go through in chunks so the {@code [tokens, width]}
 * intermediates stay bounded; the matrix kernels make each row's result independent of the chunk.
 */
final class SwiGlu {
  /** Tokens per chunk of intermediates. */
  private static final int TOKENS_PER_CHUNK = 512;

  /**
   * The three matrices of one block: {@code gate} and {@code up} are {@code [width, hidden]} at
   * their offsets (they may share one fused array), {@code down} is {@code [hidden, width]}.
   */
  record Weights(float[] gate, int gateOffset, float[] up, int upOffset, float[] down, int width) {}

  /**
   * The tensor names under which the block reports its inputs to {@link
   * WeightSource#observeInput}. When {@code gate} equals {@code up} (one fused tensor) the shared
   * input is reported once.
   */
  record InputNames(String gate, String up, String down) {
    /** The names {@code <m>gate_proj.weight}, {@code up_proj.weight} and {@code down_proj.weight}. */
    static InputNames of(String m) {
      return new InputNames(m + "gate_proj.weight", m + "up_proj.weight", m + "down_proj.weight");
    }
  }

  private SwiGlu() {}

  /** Reads {@code <m>gate_proj.weight}, {@code up_proj.weight} and {@code down_proj.weight}. */
  static Weights read(WeightSource w, String m, int hidden, int width) {
    long size = (long) width * hidden;
    return new Weights(
        Ops.weight(w, m + "gate_proj.weight", size),
        0,
        Ops.weight(w, m + "up_proj.weight", size),
        0,
        Ops.weight(w, m + "down_proj.weight", size),
        width);
  }

  /** Returns the block output {@code [tokens, hidden]} for rows {@code x}. */
  static float[] apply(Weights weights, float[] x, int tokens, int hidden) {
    return apply(weights, x, tokens, hidden, null, null);
  }

  /**
   * Returns the block output like {@link #apply(Weights, float[], int, int)} and reports the
   * inputs of the three projections to {@code observer} under {@code names}, the down projection's
   * one chunk of tokens at a time. A null observer reports nothing.
   */
  static float[] apply(
      Weights weights, float[] x, int tokens, int hidden, WeightSource observer, InputNames names) {
    if (observer != null) {
      observer.observeInput(names.gate(), x, tokens, hidden);
      if (!names.up().equals(names.gate())) {
        observer.observeInput(names.up(), x, tokens, hidden);
      }
    }
    int width = weights.width();
    float[] out = new float[tokens * hidden];
    int chunk = Math.min(tokens, TOKENS_PER_CHUNK);
    float[] gate = new float[chunk * width];
    float[] up = new float[chunk * width];
    for (int t0 = 0; t0 < tokens; t0 += chunk) {
      int n = Math.min(chunk, tokens - t0);
      Gemm.multiply(
          x, t0 * hidden, weights.gate(), weights.gateOffset(), gate, 0, n, width, hidden);
      Gemm.multiply(x, t0 * hidden, weights.up(), weights.upOffset(), up, 0, n, width, hidden);
      Ops.siluMultiply(gate, up, n * width);
      if (observer != null) {
        observer.observeInput(names.down(), gate, n, width);
      }
      Gemm.multiply(gate, 0, weights.down(), 0, out, t0 * hidden, n, hidden, width);
    }
    return out;
  }
}
