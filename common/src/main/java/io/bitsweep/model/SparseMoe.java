package io.bitsweep.model;

import java.util.Arrays;

/**
 * The sparse mixture-of-experts block: an fp32 softmax router over all experts, the top-k experts
 * per token (renormalised to sum to 1 when the config says so, always for qwen3_5_moe), SwiGLU
 * experts, and a shared SwiGLU expert scaled by {@code sigmoid(shared_expert_gate · x)}. Expert
 * weights are either fused ({@code experts.gate_up_proj [E, 2·Im, H]}, {@code experts.down_proj [E,
 * H, Im]}) or per expert ({@code experts.{e}.gate_proj.weight} and so on, Qwen3-Next). Only experts
 * that some token selects are read.
 */
final class SparseMoe {
  private final ModelConfig config;
  private final MoeConfig moe;

  SparseMoe(ModelConfig config) {
    this.config = config;
    this.moe = config.moe();
  }

  /** The experts chosen for each token and their weights, {@code [tokens, k]} each. */
  record Routing(int[] experts, float[] weights) {}

  float[] forward(int layer, float[] x, int tokens, WeightSource w) {
    String m = config.layerPrefix(layer) + "mlp.";
    int hidden = config.hiddenSize();
    int k = moe.numExpertsPerTok();
    float[] logits = Ops.linear(w, m + "gate.weight", x, tokens, hidden, moe.numExperts());
    Routing routing = route(logits, tokens);

    // Routed experts in ascending index order, so each token sums its experts in a fixed order.
    float[] out = new float[tokens * hidden];
    int[] rows = new int[tokens];
    float[] rowWeights = new float[tokens];
    for (int expert = 0; expert < moe.numExperts(); expert++) {
      int count = 0;
      for (int slot = 0; slot < tokens * k; slot++) {
        if (routing.experts()[slot] == expert) {
          rows[count] = slot / k;
          rowWeights[count++] = routing.weights()[slot];
        }
      }
      if (count > 0) {
        addExpert(m, expert, x, rows, rowWeights, count, out, w);
      }
    }

    // Shared expert, gated per token.
    SwiGlu.Weights shared =
        SwiGlu.read(w, m + "shared_expert.", hidden, moe.sharedExpertIntermediateSize());
    float[] sharedOut =
        SwiGlu.apply(shared, x, tokens, hidden, w, SwiGlu.InputNames.of(m + "shared_expert."));
    float[] gate = Ops.linear(w, m + "shared_expert_gate.weight", x, tokens, hidden, 1);
    for (int t = 0; t < tokens; t++) {
      float scale = Ops.sigmoid(gate[t]);
      for (int i = 0; i < hidden; i++) {
        out[t * hidden + i] += scale * sharedOut[t * hidden + i];
      }
    }
    return out;
  }

  /** Picks the top-k experts of each token by softmax probability (ties go to the lower index). */
  Routing route(float[] logits, int tokens) {
    int experts = moe.numExperts();
    int k = moe.numExpertsPerTok();
    int[] chosen = new int[tokens * k];
    float[] weights = new float[tokens * k];
    double[] probabilities = new double[experts];
    boolean[] taken = new boolean[experts];
    for (int t = 0; t < tokens; t++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int e = 0; e < experts; e++) {
        max = Math.max(max, logits[t * experts + e]);
      }
      double sum = 0;
      for (int e = 0; e < experts; e++) {
        probabilities[e] = Math.exp(logits[t * experts + e] - max);
        sum += probabilities[e];
      }
      Arrays.fill(taken, false);
      double selected = 0;
      for (int slot = 0; slot < k; slot++) {
        int best = -1;
        for (int e = 0; e < experts; e++) {
          if (!taken[e] && (best < 0 || probabilities[e] > probabilities[best])) {
            best = e;
          }
        }
        taken[best] = true;
        chosen[t * k + slot] = best;
        selected += probabilities[best];
      }
      double norm = moe.normTopkProb() ? selected : sum;
      for (int slot = 0; slot < k; slot++) {
        weights[t * k + slot] = (float) (probabilities[chosen[t * k + slot]] / norm);
      }
    }
    return new Routing(chosen, weights);
  }

  private void addExpert(
      String m,
      int expert,
      float[] x,
      int[] rows,
      float[] rowWeights,
      int count,
      float[] out,
      WeightSource w) {
    int hidden = config.hiddenSize();
    float[] gathered = new float[count * hidden];
    for (int i = 0; i < count; i++) {
      System.arraycopy(x, rows[i] * hidden, gathered, i * hidden, hidden);
    }
    float[] y =
        SwiGlu.apply(
            expertWeights(m, expert, w), gathered, count, hidden, w, expertInputNames(m, expert));
    for (int i = 0; i < count; i++) {
      int target = rows[i] * hidden;
      float weight = rowWeights[i];
      for (int j = 0; j < hidden; j++) {
        out[target + j] += weight * y[i * hidden + j];
      }
    }
  }

  /** Per-expert tensor names (Qwen3-Next), or the fused tensors with the expert in brackets. */
  private SwiGlu.InputNames expertInputNames(String m, int expert) {
    if (config.architecture() == Architecture.QWEN3_NEXT) {
      return SwiGlu.InputNames.of(m + "experts." + expert + ".");
    }
    String gateUp = m + "experts.gate_up_proj[" + expert + "]";
    return new SwiGlu.InputNames(gateUp, gateUp, m + "experts.down_proj[" + expert + "]");
  }

  private SwiGlu.Weights expertWeights(String m, int expert, WeightSource w) {
    int hidden = config.hiddenSize();
    int width = moe.moeIntermediateSize();
    if (config.architecture() == Architecture.QWEN3_NEXT) {
      return SwiGlu.read(w, m + "experts." + expert + ".", hidden, width);
    }
    // Fused tensors: rows e·2Im .. of gate_up_proj (gate first, then up) and e·H .. of down_proj.
    float[] gateUp = new float[2 * width * hidden];
    w.readRows(m + "experts.gate_up_proj", (long) expert * 2 * width, 2 * width, gateUp, 0);
    float[] down = new float[hidden * width];
    w.readRows(m + "experts.down_proj", (long) expert * hidden, hidden, down, 0);
    return new SwiGlu.Weights(gateUp, 0, gateUp, width * hidden, down, width);
  }
}
