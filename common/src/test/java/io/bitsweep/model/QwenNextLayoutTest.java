package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.model.RandomCheckpoints.Variant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Qwen3-Next's fused, group-interleaved DeltaNet projections and per-expert tensors give the same
 * logits as the same weights regrouped by hand into the Qwen3.5-MoE layout.
 */
class QwenNextLayoutTest {
  /** Max |diff| of a logit; both models compute the same dot products. */
  private static final double TOLERANCE = 1e-4;

  @Test
  void regroupedWeightsGiveSameLogits() {
    ObjectNode nextRoot = RandomCheckpoints.config(Variant.QWEN3_NEXT);
    nextRoot.putArray("mlp_only_layers");
    nextRoot.put("norm_topk_prob", true);
    ModelConfig next = ModelConfig.fromJson(nextRoot, "next/config.json");
    ObjectNode moeRoot = nextRoot.deepCopy();
    moeRoot.put("model_type", "qwen3_5_moe_text");
    ModelConfig moe = ModelConfig.fromJson(moeRoot, "moe/config.json");
    assertThat(moe.tensorPrefix()).isEqualTo(next.tensorPrefix());

    MapWeights nextWeights = MapWeights.random(next, 23);
    MapWeights moeWeights = regroup(next, moe, nextWeights);

    int[] tokens = RandomArchitecturesTest.randomTokens(new Random(2), 17, next.vocabSize());
    float[] expected = new ForwardPass(moe).logits(tokens, moeWeights);
    float[] actual = new ForwardPass(next).logits(tokens, nextWeights);
    double diff = RandomArchitecturesTest.maxAbsDiff(expected, actual);
    assertThat(diff)
        .as("max |qwen3_next - regrouped qwen3_5_moe| = %.3e", diff)
        .isLessThanOrEqualTo(TOLERANCE);
  }

  private static MapWeights regroup(ModelConfig next, ModelConfig moe, MapWeights source) {
    MapWeights target = new MapWeights();
    for (ExpectedTensor tensor : moe.expectedTensors()) {
      String name = tensor.name();
      if (source.contains(name)) {
        target.put(name, tensor.shape(), source.read(name));
      }
    }
    for (int layer = 0; layer < next.numHiddenLayers(); layer++) {
      String p = next.layerPrefix(layer);
      if (next.layerType(layer) == LayerType.LINEAR_ATTENTION) {
        regroupDeltaNet(next, p + "linear_attn.", source, target);
      }
      stackExperts(next, p + "mlp.", source, target);
    }
    return target;
  }

  /** Rows of in_proj_qkvz per key head g: [q_g | k_g | v_g (r·dv) | z_g (r·dv)]. */
  private static void regroupDeltaNet(
      ModelConfig config, String g, MapWeights source, MapWeights target) {
    LinearAttentionConfig la = config.linearAttention();
    int h = config.hiddenSize();
    int dk = la.keyHeadDim();
    int r = la.valueHeadsPerKeyHead();
    int groupValues = r * la.valueHeadDim();
    int groupRows = 2 * dk + 2 * groupValues;
    float[] qkvz = source.read(g + "in_proj_qkvz.weight");
    float[] ba = source.read(g + "in_proj_ba.weight");
    float[] qkv = new float[la.convDim() * h];
    float[] z = new float[la.valueDim() * h];
    float[] b = new float[la.numValueHeads() * h];
    float[] a = new float[la.numValueHeads() * h];
    for (int group = 0; group < la.numKeyHeads(); group++) {
      int from = group * groupRows;
      copyRows(qkvz, from, qkv, group * dk, dk, h);
      copyRows(qkvz, from + dk, qkv, la.keyDim() + group * dk, dk, h);
      copyRows(qkvz, from + 2 * dk, qkv, 2 * la.keyDim() + group * groupValues, groupValues, h);
      copyRows(qkvz, from + 2 * dk + groupValues, z, group * groupValues, groupValues, h);
      copyRows(ba, group * 2 * r, b, group * r, r, h);
      copyRows(ba, group * 2 * r + r, a, group * r, r, h);
    }
    target.put(g + "in_proj_qkv.weight", new long[] {la.convDim(), h}, qkv);
    target.put(g + "in_proj_z.weight", new long[] {la.valueDim(), h}, z);
    target.put(g + "in_proj_b.weight", new long[] {la.numValueHeads(), h}, b);
    target.put(g + "in_proj_a.weight", new long[] {la.numValueHeads(), h}, a);
  }

  private static void stackExperts(
      ModelConfig config, String m, MapWeights source, MapWeights target) {
    int e = config.moe().numExperts();
    int im = config.moe().moeIntermediateSize();
    int h = config.hiddenSize();
    float[] gateUp = new float[e * 2 * im * h];
    float[] down = new float[e * h * im];
    for (int expert = 0; expert < e; expert++) {
      String p = m + "experts." + expert + ".";
      System.arraycopy(source.read(p + "gate_proj.weight"), 0, gateUp, expert * 2 * im * h, im * h);
      System.arraycopy(
          source.read(p + "up_proj.weight"), 0, gateUp, (expert * 2 + 1) * im * h, im * h);
      System.arraycopy(source.read(p + "down_proj.weight"), 0, down, expert * h * im, h * im);
    }
    target.put(m + "experts.gate_up_proj", new long[] {e, 2L * im, h}, gateUp);
    target.put(m + "experts.down_proj", new long[] {e, h, im}, down);
  }

  private static void copyRows(
      float[] from, int fromRow, float[] to, int toRow, int rows, int width) {
    System.arraycopy(from, fromRow * width, to, toRow * width, rows * width);
  }
}
