package io.bitsweep.model;

import io.bitsweep.model.Ops.NormKind;
import io.bitsweep.tensor.Parallel;
import io.bitsweep.tensor.VectorOps;
import java.util.Locale;

/**
 * Causal softmax attention with grouped KV heads. Qwen3.5 and Qwen3-Next add a per-head {@code
 * [query | gate]} split of q_proj, zero-centred q/k RMSNorms, partial RoPE and a sigmoid output
 * gate; Llama uses plain q/k and RoPE on the whole head.
 */
final class Attention {
  /** Query rows per parallel task. */
  private static final int QUERIES_PER_TASK = 32;

  private final ModelConfig config;
  private final AttentionConfig shape;
  private final boolean gated;

  Attention(ModelConfig config) {
    this.config = config;
    this.shape = config.attention();
    this.gated = config.architecture().isQwen();
  }

  /**
   * Returns the attention output {@code [tokens, hidden_size]} for normed input {@code x}. With
   * {@code caches} (one per sequence) the new keys and values are appended and attention covers the
   * cached ones too; without, each sequence attends only to itself.
   */
  float[] forward(
      int layer, float[] x, HiddenStates layout, WeightSource w, AttentionCache[] caches) {
    String a = config.layerPrefix(layer) + "self_attn.";
    int tokens = layout.tokenCount();
    int hidden = config.hiddenSize();
    int heads = shape.numAttentionHeads();
    int headDim = shape.headDim();
    int kvWidth = shape.numKeyValueHeads() * headDim;
    int qWidth = heads * headDim;

    // Projections; Qwen's q_proj holds [query | gate] per head, then q/k RMSNorms.
    float[] projected =
        Ops.linear(w, a + "q_proj.weight", x, tokens, hidden, qWidth * (gated ? 2 : 1));
    float[] k = Ops.linear(w, a + "k_proj.weight", x, tokens, hidden, kvWidth);
    float[] v = Ops.linear(w, a + "v_proj.weight", x, tokens, hidden, kvWidth);
    float[] q = projected;
    float[] gate = null;
    if (gated) {
      q = new float[tokens * qWidth];
      gate = new float[tokens * qWidth];
      splitQueryAndGate(projected, tokens, q, gate);
      normalizeHeads(w, a + "q_norm.weight", q, tokens * heads);
      normalizeHeads(w, a + "k_norm.weight", k, tokens * shape.numKeyValueHeads());
    }

    // Rotary embedding at absolute positions.
    applyRope(q, heads, layout);
    applyRope(k, shape.numKeyValueHeads(), layout);

    // Attention per sequence, head and block of queries.
    float[] out = new float[tokens * qWidth];
    KeyValues[] keyValues = new KeyValues[layout.sequenceCount()];
    for (int s = 0; s < layout.sequenceCount(); s++) {
      keyValues[s] = keyValues(s, k, v, layout, caches);
    }
    attend(q, out, layout, keyValues);

    if (gated) {
      for (int i = 0; i < out.length; i++) {
        out[i] *= Ops.sigmoid(gate[i]);
      }
    }
    return Ops.linear(w, a + "o_proj.weight", out, tokens, qWidth, hidden);
  }

  private void splitQueryAndGate(float[] projected, int tokens, float[] q, float[] gate) {
    int headDim = shape.headDim();
    int heads = shape.numAttentionHeads();
    for (int t = 0; t < tokens; t++) {
      for (int h = 0; h < heads; h++) {
        int from = (t * heads + h) * 2 * headDim;
        int to = (t * heads + h) * headDim;
        System.arraycopy(projected, from, q, to, headDim);
        System.arraycopy(projected, from + headDim, gate, to, headDim);
      }
    }
  }

  /** Applies the zero-centred RMSNorm {@code name} to each of {@code rows} heads of x in place. */
  private void normalizeHeads(WeightSource w, String name, float[] x, int rows) {
    int headDim = shape.headDim();
    float[] scale = Ops.normScale(w, name, headDim, NormKind.ZERO_CENTERED);
    Parallel.forRange(
        rows,
        64,
        (from, to) -> {
          for (int r = from; r < to; r++) {
            Ops.rmsNorm(x, r * headDim, headDim, scale, config.rmsNormEps(), x, r * headDim);
          }
        });
  }

  private void applyRope(float[] x, int heads, HiddenStates layout) {
    int maxPosition = 0;
    for (int s = 0; s < layout.sequenceCount(); s++) {
      maxPosition = Math.max(maxPosition, layout.position(s) + layout.length(s) - 1);
    }
    Rope rope = new Rope(shape.ropeTheta(), shape.rotaryDim(), maxPosition);
    int headDim = shape.headDim();
    for (int s = 0; s < layout.sequenceCount(); s++) {
      for (int i = 0; i < layout.length(s); i++) {
        int row = layout.start(s) + i;
        for (int h = 0; h < heads; h++) {
          rope.rotate(x, (row * heads + h) * headDim, layout.position(s) + i);
        }
      }
    }
  }

  /** Keys and values one sequence attends to: rows {@code firstRow ..} of the arrays. */
  private record KeyValues(float[] keys, float[] values, int firstRow, int pastLength) {}

  private KeyValues keyValues(
      int s, float[] k, float[] v, HiddenStates layout, AttentionCache[] caches) {
    if (caches == null) {
      return new KeyValues(k, v, layout.start(s), 0);
    }
    AttentionCache cache = caches[s];
    int past = cache.length();
    if (past != layout.position(s)) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "KV cache of sequence %d holds %d positions, but the batch starts at position %d",
              s,
              past,
              layout.position(s)));
    }
    cache.append(k, v, layout.start(s), layout.length(s));
    return new KeyValues(cache.keys(), cache.values(), 0, past);
  }

  private void attend(float[] q, float[] out, HiddenStates layout, KeyValues[] keyValues) {
    int heads = shape.numAttentionHeads();
    int sequences = layout.sequenceCount();
    int[] firstTask = new int[sequences + 1];
    for (int s = 0; s < sequences; s++) {
      int blocks = (layout.length(s) + QUERIES_PER_TASK - 1) / QUERIES_PER_TASK;
      firstTask[s + 1] = firstTask[s] + blocks * heads;
    }
    Parallel.forEach(
        firstTask[sequences],
        task -> {
          int s = 0;
          while (firstTask[s + 1] <= task) {
            s++;
          }
          int local = task - firstTask[s];
          int head = local % heads;
          int from = (local / heads) * QUERIES_PER_TASK;
          int to = Math.min(layout.length(s), from + QUERIES_PER_TASK);
          attendBlock(q, out, layout.start(s), from, to, head, keyValues[s]);
        });
  }

  private void attendBlock(
      float[] q, float[] out, int firstRow, int from, int to, int head, KeyValues kv) {
    int headDim = shape.headDim();
    int heads = shape.numAttentionHeads();
    int kvWidth = shape.numKeyValueHeads() * headDim;
    int kvOffset = (head / shape.groupSize()) * headDim;
    float scale = (float) (1.0 / Math.sqrt(headDim));
    float[] scores = new float[kv.pastLength() + to];
    for (int i = from; i < to; i++) {
      int qOffset = ((firstRow + i) * heads + head) * headDim;
      int keys = kv.pastLength() + i + 1;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < keys; j++) {
        int kOffset = (kv.firstRow() + j) * kvWidth + kvOffset;
        float score = VectorOps.dot(q, qOffset, kv.keys(), kOffset, headDim) * scale;
        scores[j] = score;
        max = Math.max(max, score);
      }
      double sum = 0;
      for (int j = 0; j < keys; j++) {
        float p = (float) Math.exp(scores[j] - max);
        scores[j] = p;
        sum += p;
      }
      float inverse = (float) (1.0 / sum);
      for (int j = 0; j < keys; j++) {
        int vOffset = (kv.firstRow() + j) * kvWidth + kvOffset;
        VectorOps.axpy(scores[j] * inverse, kv.values(), vOffset, out, qOffset, headDim);
      }
    }
  }
}
