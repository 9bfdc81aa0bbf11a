package io.bitsweep.model;

import io.bitsweep.model.Ops.NormKind;
import io.bitsweep.tensor.Parallel;
import io.bitsweep.tensor.VectorOps;

/**
 * Gated DeltaNet linear attention: projections, causal depthwise conv1d with SiLU, L2-normalised
 * q/k, the sequential gated delta rule per value head, a gated RMSNorm and the output projection.
 * Value head h reads key head {@code h / (Hv / Hk)}.
 */
final class GatedDeltaNet {
  /** The fixed epsilon of the q/k L2 norm (not rms_norm_eps). */
  private static final double L2_NORM_EPS = 1e-6;

  private static final int ROWS_PER_TASK = 16;

  private final ModelConfig config;
  private final LinearAttentionConfig shape;

  GatedDeltaNet(ModelConfig config) {
    this.config = config;
    this.shape = config.linearAttention();
  }

  /** The four projections of every token in the Qwen3.5 layout. */
  record Projections(float[] mixed, float[] z, float[] b, float[] a) {}

  /**
   * Returns the layer output {@code [tokens, hidden_size]} for normed input {@code x}. With {@code
   * states} (one per sequence) the conv and recurrent states continue from and are left at the end
   * of each sequence; without, every sequence starts from zeros.
   */
  float[] forward(
      int layer, float[] x, HiddenStates layout, WeightSource w, DeltaNetState[] states) {
    String g = config.layerPrefix(layer) + "linear_attn.";
    int tokens = layout.tokenCount();
    int c = shape.convDim();
    Projections p =
        config.architecture() == Architecture.QWEN3_NEXT
            ? FusedDeltaNetProjections.project(config, g, x, tokens, w)
            : project(g, x, tokens, w);

    // Causal depthwise conv1d + SiLU over q|k|v channels, then the L2 norms of q and k.
    float[] convWeight = Ops.weight(w, g + "conv1d.weight", (long) c * shape.convKernelDim());
    float[] qkv = new float[tokens * c];
    convolve(p.mixed(), qkv, convWeight, layout, states);
    normalizeQueriesAndKeys(qkv, tokens);

    // Gates: beta = sigmoid(b), alpha = exp(-exp(A_log) · softplus(a + dt_bias)).
    int hv = shape.numValueHeads();
    float[] aLog = Ops.weight(w, g + "A_log", hv);
    float[] dtBias = Ops.weight(w, g + "dt_bias", hv);
    float[] alpha = new float[tokens * hv];
    float[] beta = new float[tokens * hv];
    for (int i = 0; i < tokens * hv; i++) {
      int h = i % hv;
      alpha[i] = (float) Math.exp(-Math.exp(aLog[h]) * Ops.softplus((double) p.a()[i] + dtBias[h]));
      beta[i] = Ops.sigmoid(p.b()[i]);
    }

    // The delta rule per sequence and value head, then the gated RMSNorm.
    float[] core = new float[tokens * shape.valueDim()];
    recur(qkv, alpha, beta, core, layout, states);
    float[] normWeight = Ops.normScale(w, g + "norm.weight", shape.valueHeadDim(), NormKind.PLAIN);
    gatedNorm(core, p.z(), normWeight, tokens);
    return Ops.linear(
        w, g + "out_proj.weight", core, tokens, shape.valueDim(), config.hiddenSize());
  }

  private Projections project(String g, float[] x, int tokens, WeightSource w) {
    int hidden = config.hiddenSize();
    int hv = shape.numValueHeads();
    return new Projections(
        Ops.linear(w, g + "in_proj_qkv.weight", x, tokens, hidden, shape.convDim()),
        Ops.linear(w, g + "in_proj_z.weight", x, tokens, hidden, shape.valueDim()),
        Ops.linear(w, g + "in_proj_b.weight", x, tokens, hidden, hv),
        Ops.linear(w, g + "in_proj_a.weight", x, tokens, hidden, hv));
  }

  /**
   * {@code out[t, c] = silu(Σ_j W[c, j] · x[t - (Kc-1) + j, c])}, where rows before a sequence's
   * first token come from its conv state (or are zero). Leaves each state holding the last Kc-1
   * input rows.
   */
  private void convolve(
      float[] mixed, float[] out, float[] weight, HiddenStates layout, DeltaNetState[] states) {
    int c = shape.convDim();
    int kernel = shape.convKernelDim();
    int history = kernel - 1;
    // Tap-major copy [Kc, C] of the [C, 1, Kc] weight, so the channel loops run over contiguous
    // data.
    float[] taps = new float[kernel * c];
    for (int ch = 0; ch < c; ch++) {
      for (int j = 0; j < kernel; j++) {
        taps[j * c + ch] = weight[ch * kernel + j];
      }
    }
    Parallel.forRange(
        layout.tokenCount(),
        ROWS_PER_TASK,
        (from, to) -> {
          for (int row = from; row < to; row++) {
            int s = layout.sequenceOf(row);
            int i = row - layout.start(s);
            int o = row * c;
            for (int j = 0; j < kernel; j++) {
              int source = i - history + j;
              float[] input;
              int offset;
              if (source >= 0) {
                input = mixed;
                offset = (layout.start(s) + source) * c;
              } else if (states != null) {
                input = states[s].conv;
                offset = (history + source) * c;
              } else {
                continue; // zero padding before the sequence
              }
              int t = j * c;
              for (int ch = 0; ch < c; ch++) {
                out[o + ch] += taps[t + ch] * input[offset + ch];
              }
            }
            for (int ch = 0; ch < c; ch++) {
              out[o + ch] = Ops.silu(out[o + ch]);
            }
          }
        });
    if (states != null) {
      for (int s = 0; s < layout.sequenceCount(); s++) {
        updateConvState(states[s].conv, mixed, layout.start(s), layout.length(s));
      }
    }
  }

  private void updateConvState(float[] state, float[] mixed, int start, int length) {
    int c = shape.convDim();
    int history = shape.convKernelDim() - 1;
    float[] updated = new float[state.length];
    for (int r = 0; r < history; r++) {
      int source = length - history + r; // index relative to the new rows
      if (source >= 0) {
        System.arraycopy(mixed, (start + source) * c, updated, r * c, c);
      } else {
        System.arraycopy(state, (history + source) * c, updated, r * c, c);
      }
    }
    System.arraycopy(updated, 0, state, 0, state.length);
  }

  /** Scales each q head to unit L2 norm times dk^-1/2, and each k head to unit L2 norm. */
  private void normalizeQueriesAndKeys(float[] qkv, int tokens) {
    int c = shape.convDim();
    int dk = shape.keyHeadDim();
    int keyHeads = shape.numKeyHeads();
    double queryScale = 1.0 / Math.sqrt(dk);
    Parallel.forRange(
        tokens,
        ROWS_PER_TASK,
        (from, to) -> {
          for (int row = from; row < to; row++) {
            for (int head = 0; head < 2 * keyHeads; head++) {
              int offset = row * c + head * dk;
              double sum = 0;
              for (int i = 0; i < dk; i++) {
                sum += (double) qkv[offset + i] * qkv[offset + i];
              }
              double scale = 1.0 / Math.sqrt(sum + L2_NORM_EPS);
              if (head < keyHeads) {
                scale *= queryScale;
              }
              for (int i = 0; i < dk; i++) {
                qkv[offset + i] = (float) (qkv[offset + i] * scale);
              }
            }
          }
        });
  }

  private void recur(
      float[] qkv,
      float[] alpha,
      float[] beta,
      float[] core,
      HiddenStates layout,
      DeltaNetState[] states) {
    int hv = shape.numValueHeads();
    int stateSize = shape.keyHeadDim() * shape.valueHeadDim();
    Parallel.forEach(
        layout.sequenceCount() * hv,
        task -> {
          int s = task / hv;
          int head = task % hv;
          float[] state;
          int stateOffset;
          if (states == null) {
            state = new float[stateSize];
            stateOffset = 0;
          } else {
            state = states[s].recurrent;
            stateOffset = head * stateSize;
          }
          recurHead(
              qkv, alpha, beta, core, layout.start(s), layout.length(s), head, state, stateOffset);
        });
  }

  /**
   * Runs the gated delta rule for one value head over one sequence. Per token, with state S {@code
   * [dk, dv]}: decay {@code S ← αS}, read {@code m = Sᵀk}, delta {@code δ = β(v − m)}, write {@code
   * S ← S + k δᵀ}, then read out {@code o = Sᵀq} after the write.
   */
  private void recurHead(
      float[] qkv,
      float[] alpha,
      float[] beta,
      float[] core,
      int start,
      int length,
      int head,
      float[] state,
      int so) {
    int c = shape.convDim();
    int dk = shape.keyHeadDim();
    int dv = shape.valueHeadDim();
    int hv = shape.numValueHeads();
    int keyHead = head / shape.valueHeadsPerKeyHead();
    int queryColumn = keyHead * dk;
    int keyColumn = shape.keyDim() + keyHead * dk;
    int valueColumn = 2 * shape.keyDim() + head * dv;
    for (int i = 0; i < length; i++) {
      int row = start + i;
      int base = row * c;
      VectorOps.deltaRuleStep(
          state,
          so,
          dk,
          dv,
          qkv,
          base + queryColumn,
          qkv,
          base + keyColumn,
          qkv,
          base + valueColumn,
          alpha[row * hv + head],
          beta[row * hv + head],
          core,
          row * shape.valueDim() + head * dv);
    }
  }

  /** {@code o ← w ⊙ rmsnorm(o) ⊙ silu(z)} per token and value head, in place. */
  private void gatedNorm(float[] core, float[] z, float[] weight, int tokens) {
    int dv = shape.valueHeadDim();
    int rows = tokens * shape.numValueHeads();
    Parallel.forRange(
        rows,
        ROWS_PER_TASK * 4,
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int offset = r * dv;
            Ops.rmsNorm(core, offset, dv, weight, config.rmsNormEps(), core, offset);
            for (int j = 0; j < dv; j++) {
              core[offset + j] *= Ops.silu(z[offset + j]);
            }
          }
        });
  }
}
