package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.model.RandomCheckpoints.Variant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The MoE block against a naive double-precision implementation written from the spec. */
class SparseMoeTest {
  /** Max |java − reference| relative to the largest reference output. */
  private static final double RELATIVE_TOLERANCE = 1e-5;

  private static final int TOKENS = 9;

  @Test
  void fusedExpertsMatchReference() {
    check(RandomCheckpoints.config(Variant.QWEN3_5_MOE));
  }

  @Test
  void perExpertTensorsWithoutRenormalisationMatchReference() {
    check(RandomCheckpoints.config(Variant.QWEN3_NEXT));
  }

  @Test
  void routingRenormalisesOnlyWhenAsked() {
    ModelConfig next = ModelConfig.fromJson(RandomCheckpoints.config(Variant.QWEN3_NEXT), "c");
    float[] logits = {0f, 1f, 2f, 0.5f, 2f};
    SparseMoe.Routing routing = new SparseMoe(next).route(logits, 1);
    assertThat(routing.experts()).as("top-2, tie broken by lower index").containsExactly(2, 4);
    double sum = IntStream.range(0, 5).mapToDouble(e -> Math.exp(logits[e])).sum();
    assertThat(routing.weights()[0]).isCloseTo((float) (Math.exp(2) / sum), within());

    ObjectNode root = RandomCheckpoints.config(Variant.QWEN3_NEXT);
    root.put("norm_topk_prob", true);
    SparseMoe.Routing normalised = new SparseMoe(ModelConfig.fromJson(root, "c")).route(logits, 1);
    assertThat(normalised.weights()).containsExactly(0.5f, 0.5f);
  }

  private static org.assertj.core.data.Offset<Float> within() {
    return org.assertj.core.data.Offset.offset(1e-6f);
  }

  private static void check(ObjectNode root) {
    ModelConfig config = ModelConfig.fromJson(root, "config.json");
    MapWeights w = MapWeights.random(config, 17);
    int h = config.hiddenSize();
    float[] x = new float[TOKENS * h];
    Random random = new Random(4);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }

    float[] actual = new SparseMoe(config).forward(0, x, TOKENS, w);

    double[] expected = reference(config, w, x);
    double worst = 0, scale = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    assertThat(worst / scale)
        .as("%s: max |diff| %.3e over max |output| %.3e", config.architecture(), worst, scale)
        .isLessThanOrEqualTo(RELATIVE_TOLERANCE);
  }

  private static double[] reference(ModelConfig config, MapWeights w, float[] x) {
    MoeConfig moe = config.moe();
    int h = config.hiddenSize();
    int e = moe.numExperts();
    int im = moe.moeIntermediateSize();
    String m = config.layerPrefix(0) + "mlp.";
    double[] out = new double[TOKENS * h];
    for (int t = 0; t < TOKENS; t++) {
      double[] xt = new double[h];
      for (int i = 0; i < h; i++) {
        xt[i] = x[t * h + i];
      }
      double[] logits = matVec(w.read(m + "gate.weight"), 0, e, h, xt);
      double max = Arrays.stream(logits).max().orElseThrow();
      double[] p = Arrays.stream(logits).map(v -> Math.exp(v - max)).toArray();
      double total = Arrays.stream(p).sum();
      Integer[] order = IntStream.range(0, e).boxed().toArray(Integer[]::new);
      Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -p[i]));
      double selected = 0;
      for (int k = 0; k < moe.numExpertsPerTok(); k++) {
        selected += p[order[k]];
      }
      for (int k = 0; k < moe.numExpertsPerTok(); k++) {
        int expert = order[k];
        double weight = p[expert] / (moe.normTopkProb() ? selected : total);
        double[] y = expert(config, w, m, expert, im, xt);
        for (int i = 0; i < h; i++) {
          out[t * h + i] += weight * y[i];
        }
      }
      double gate =
          1 / (1 + Math.exp(-matVec(w.read(m + "shared_expert_gate.weight"), 0, 1, h, xt)[0]));
      double[] shared =
          swiGlu(
              w.read(m + "shared_expert.gate_proj.weight"),
              0,
              w.read(m + "shared_expert.up_proj.weight"),
              0,
              w.read(m + "shared_expert.down_proj.weight"),
              0,
              moe.sharedExpertIntermediateSize(),
              h,
              xt);
      for (int i = 0; i < h; i++) {
        out[t * h + i] += gate * shared[i];
      }
    }
    return out;
  }

  private static double[] expert(
      ModelConfig config, MapWeights w, String m, int expert, int im, double[] x) {
    int h = config.hiddenSize();
    if (config.architecture() == Architecture.QWEN3_NEXT) {
      String p = m + "experts." + expert + ".";
      return swiGlu(
          w.read(p + "gate_proj.weight"),
          0,
          w.read(p + "up_proj.weight"),
          0,
          w.read(p + "down_proj.weight"),
          0,
          im,
          h,
          x);
    }
    float[] gateUp = w.read(m + "experts.gate_up_proj");
    float[] down = w.read(m + "experts.down_proj");
    int base = expert * 2 * im * h;
    return swiGlu(gateUp, base, gateUp, base + im * h, down, expert * h * im, im, h, x);
  }

  private static double[] swiGlu(
      float[] gate,
      int gateOff,
      float[] up,
      int upOff,
      float[] down,
      int downOff,
      int width,
      int h,
      double[] x) {
    double[] g = matVec(gate, gateOff, width, h, x);
    double[] u = matVec(up, upOff, width, h, x);
    double[] act = new double[width];
    for (int i = 0; i < width; i++) {
      act[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
    }
    return matVec(down, downOff, h, width, act);
  }

  private static double[] matVec(float[] w, int offset, int rows, int cols, double[] x) {
    double[] y = new double[rows];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        y[r] += w[offset + r * cols + c] * x[c];
      }
    }
    return y;
  }
}
