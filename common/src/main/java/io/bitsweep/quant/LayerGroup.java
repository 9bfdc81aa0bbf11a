package io.bitsweep.quant;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A named set of weight tensors that share one quantization setting. Each group lists the upstream
 * (Hugging Face) tensor names it covers; {@link TensorRole#of} does the matching.
 */
public enum LayerGroup {
  /** {@code embed_tokens.weight}. */
  EMBED("embed", Scope.MODEL, false),
  /** {@code lm_head.weight}; absent when the head is tied to the embedding. */
  LM_HEAD("lm_head", Scope.MODEL, false),
  /** {@code self_attn.q_proj}, {@code k_proj}, {@code v_proj}. */
  ATTN_QKV("attn_qkv", Scope.LAYER, true),
  /** {@code self_attn.o_proj}. */
  ATTN_OUT("attn_out", Scope.LAYER, false),
  /** {@code linear_attn.in_proj_qkv}, {@code in_proj_z}, and Qwen3-Next's {@code in_proj_qkvz}. */
  GDN_IN("gdn_in", Scope.LAYER, true),
  /** {@code linear_attn.in_proj_a}, {@code in_proj_b}, and Qwen3-Next's {@code in_proj_ba}. */
  GDN_AB("gdn_ab", Scope.LAYER, false),
  /** {@code linear_attn.out_proj}. */
  GDN_OUT("gdn_out", Scope.LAYER, false),
  /** Dense {@code mlp.gate_proj} and {@code mlp.up_proj}. */
  MLP_UP("mlp_up", Scope.LAYER, true),
  /** Dense {@code mlp.down_proj}. */
  MLP_DOWN("mlp_down", Scope.LAYER, true),
  /**
   * Fused {@code mlp.experts.gate_up_proj}, or per-expert {@code gate_proj} and {@code up_proj}.
   */
  EXPERT_UP("expert_up", Scope.LAYER, false),
  /** Fused {@code mlp.experts.down_proj}, or per-expert {@code down_proj}. */
  EXPERT_DOWN("expert_down", Scope.LAYER, false),
  /** {@code mlp.shared_expert.gate_proj}, {@code up_proj}, {@code down_proj}. */
  SHARED_EXPERT("shared_expert", Scope.LAYER, false),
  /** The MoE routers {@code mlp.gate} and {@code mlp.shared_expert_gate}. */
  ROUTER("router", Scope.LAYER, false);

  /** Where a group's tensors sit: outside the decoder layers, or in them (layer ranges apply). */
  public enum Scope {
    MODEL,
    LAYER
  }

  private final String configName;
  private final Scope scope;
  private final boolean awqCorrectable;

  LayerGroup(String configName, Scope scope, boolean awqCorrectable) {
    this.configName = configName;
    this.scope = scope;
    this.awqCorrectable = awqCorrectable;
  }

  /** The name used in configurations and sweep specs, such as {@code mlp_up}. */
  public String configName() {
    return configName;
  }

  public Scope scope() {
    return scope;
  }

  /**
   * Whether AWQ scales can be folded into the operation that feeds this group: the input RMSNorm
   * for {@code attn_qkv}, {@code gdn_in} and {@code mlp_up}, and the rows of {@code up_proj} for
   * {@code mlp_down}. {@code o_proj} and {@code linear_attn.out_proj} have no such foldable
   * predecessor.
   */
  public boolean awqCorrectable() {
    return awqCorrectable;
  }

  /** Every group's config name, in declaration order. */
  public static List<String> configNames() {
    return Arrays.stream(values()).map(LayerGroup::configName).toList();
  }

  /**
   * Looks a group up by its config name.
   *
   * @throws QuantConfigException naming the value and listing the valid groups
   */
  public static LayerGroup fromConfigName(String name, String path) {
    for (LayerGroup group : values()) {
      if (group.configName.equals(name)) {
        return group;
      }
    }
    throw new QuantConfigException(
        String.format(
            Locale.ROOT,
            "%s: unknown layer group \"%s\"; valid groups are %s",
            path,
            name,
            String.join(", ", configNames())));
  }

  @Override
  public String toString() {
    return configName;
  }
}
