package io.bitsweep.awq;

import io.bitsweep.awq.AwqUnit.Kind;
import io.bitsweep.awq.AwqUnit.Previous;
import io.bitsweep.model.Architecture;
import io.bitsweep.model.LayerType;
import io.bitsweep.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The AWQ units of a model, the same four shapes as mlx-lm's {@code awq.py} uses for Llama-like
 * models and mlx-node uses for Qwen3.5: per layer, the mixer's input projections behind {@code
 * input_layernorm}, then {@code up_proj → down_proj}, then {@code gate_proj, up_proj} behind {@code
 * post_attention_layernorm}. The order matters: {@link Kind#MLP_DOWN} divides the rows of {@code
 * up_proj} before the {@link Kind#MLP_INPUT} search reads that matrix.
 *
 * <p>{@code self_attn.o_proj} and {@code linear_attn.out_proj} have no unit, because nothing
 * directly before them can absorb a per-channel scale. The input of {@code o_proj} is the attention
 * output times a sigmoid gate, a product of two data-dependent terms with no weight in between. The
 * input of {@code out_proj} comes from the gated RMSNorm, whose weight has shape {@code
 * [linear_value_head_dim]} and is shared by every value head, so a scale over all {@code Hv · dv}
 * channels cannot be folded into it.
 *
 * <p>Mixture-of-experts layers get the attention and DeltaNet units only: their {@code
 * post_attention_layernorm} also feeds the router and every expert, whose groups AWQ does not
 * correct.
 */
public final class AwqUnits {
  private AwqUnits() {}

  /** Returns every unit of the model, in layer order and, within a layer, in application order. */
  public static List<AwqUnit> of(ModelConfig config) {
    Previous norm =
        config.architecture().zeroCenteredNorms()
            ? Previous.ZERO_CENTERED_NORM
            : Previous.PLAIN_NORM;
    List<AwqUnit> units = new ArrayList<>();
    for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
      String p = config.layerPrefix(layer);
      units.add(mixerUnit(config, layer, norm));
      if (!config.isSparseLayer(layer)) {
        String mlp = p + "mlp.";
        units.add(
            new AwqUnit(
                Kind.MLP_DOWN,
                layer,
                mlp + "up_proj.weight",
                Previous.LINEAR_ROWS,
                List.of(mlp + "down_proj.weight"),
                List.of()));
        units.add(
            new AwqUnit(
                Kind.MLP_INPUT,
                layer,
                p + "post_attention_layernorm.weight",
                norm,
                List.of(mlp + "gate_proj.weight", mlp + "up_proj.weight"),
                List.of()));
      }
    }
    return units;
  }

  private static AwqUnit mixerUnit(ModelConfig config, int layer, Previous norm) {
    String p = config.layerPrefix(layer);
    String inputNorm = p + "input_layernorm.weight";
    if (config.layerType(layer) == LayerType.FULL_ATTENTION) {
      String a = p + "self_attn.";
      return new AwqUnit(
          Kind.ATTENTION_INPUT,
          layer,
          inputNorm,
          norm,
          List.of(a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"),
          List.of());
    }
    String g = p + "linear_attn.";
    if (config.architecture() == Architecture.QWEN3_NEXT) {
      return new AwqUnit(
          Kind.DELTANET_INPUT,
          layer,
          inputNorm,
          norm,
          List.of(g + "in_proj_qkvz.weight"),
          List.of(g + "in_proj_ba.weight"));
    }
    return new AwqUnit(
        Kind.DELTANET_INPUT,
        layer,
        inputNorm,
        norm,
        List.of(g + "in_proj_qkv.weight", g + "in_proj_z.weight"),
        List.of(g + "in_proj_b.weight", g + "in_proj_a.weight"));
  }
}
