package io.bitsweep.model;

import io.bitsweep.model.GatedDeltaNet.Projections;

/**
 * Qwen3-Next's fused DeltaNet projections, regrouped into the Qwen3.5 layout. {@code in_proj_qkvz}
 * yields, per key head g, {@code [q_g (dk) | k_g (dk) | v_g (r·dv) | z_g (r·dv)]}; {@code
 * in_proj_ba} yields, per key head g, {@code [b_g (r) | a_g (r)]}; value head {@code g·r + j} is
 * the j-th of group g. The conv channels are then {@code [all q | all k | all v]}, as in Qwen3.5.
 */
final class FusedDeltaNetProjections {
  private FusedDeltaNetProjections() {}

  static Projections project(ModelConfig config, String g, float[] x, int tokens, WeightSource w) {
    LinearAttentionConfig shape = config.linearAttention();
    int hidden = config.hiddenSize();
    int keyHeads = shape.numKeyHeads();
    int dk = shape.keyHeadDim();
    int r = shape.valueHeadsPerKeyHead();
    int groupValues = r * shape.valueHeadDim();
    int groupWidth = 2 * dk + 2 * groupValues;
    int fusedWidth = keyHeads * groupWidth;
    int hv = shape.numValueHeads();

    float[] qkvz = Ops.linear(w, g + "in_proj_qkvz.weight", x, tokens, hidden, fusedWidth);
    float[] ba = Ops.linear(w, g + "in_proj_ba.weight", x, tokens, hidden, 2 * hv);

    int c = shape.convDim();
    int valueDim = shape.valueDim();
    float[] mixed = new float[tokens * c];
    float[] z = new float[tokens * valueDim];
    float[] b = new float[tokens * hv];
    float[] a = new float[tokens * hv];
    for (int t = 0; t < tokens; t++) {
      for (int group = 0; group < keyHeads; group++) {
        int from = t * fusedWidth + group * groupWidth;
        int row = t * c;
        System.arraycopy(qkvz, from, mixed, row + group * dk, dk);
        System.arraycopy(qkvz, from + dk, mixed, row + shape.keyDim() + group * dk, dk);
        System.arraycopy(
            qkvz,
            from + 2 * dk,
            mixed,
            row + 2 * shape.keyDim() + group * groupValues,
            groupValues);
        System.arraycopy(
            qkvz, from + 2 * dk + groupValues, z, t * valueDim + group * groupValues, groupValues);
        int gates = t * 2 * hv + group * 2 * r;
        System.arraycopy(ba, gates, b, t * hv + group * r, r);
        System.arraycopy(ba, gates + r, a, t * hv + group * r, r);
      }
    }
    return new Projections(mixed, z, b, a);
  }
}
