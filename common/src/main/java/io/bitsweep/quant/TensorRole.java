package io.bitsweep.quant;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The role of a checkpoint tensor in quantization, derived from its upstream name: a member of a
 * layer group (with its decoder layer), a tensor that is never quantized, a tensor the MLX model
 * drops, or an unknown tensor.
 *
 * <p>Names are matched as Hugging Face checkpoints spell them: Qwen3.5 ({@code
 * model.language_model.layers.N.*}, {@code lm_head.weight}), text-only and Qwen3-Next exports and
 * Llama ({@code model.layers.N.*}).
 *
 * @param kind what the tensor is
 * @param group the layer group, for {@link Kind#GROUPED} only, else null
 * @param layer the decoder layer index, or -1 for tensors outside the decoder layers
 */
public record TensorRole(Kind kind, LayerGroup group, int layer) {
  /** The kinds of tensor. */
  public enum Kind {
    /** A member of a layer group: its setting comes from the configuration. */
    GROUPED,
    /** Norm weights, {@code conv1d}, {@code A_log}, {@code dt_bias} and additive biases. */
    NEVER_QUANTIZED,
    /** The vision tower and the MTP head, which the MLX text model drops. */
    DROPPED,
    /** Anything else: kept unquantized, and reported so a missing pattern is noticed. */
    UNKNOWN
  }

  private static final Pattern LAYER =
      Pattern.compile("^(?:model\\.language_model\\.|model\\.)layers\\.(\\d{1,6})\\.(.+)$");
  private static final Pattern EMBED =
      Pattern.compile("^(?:model\\.language_model\\.|model\\.)embed_tokens\\.weight$");
  private static final Pattern LM_HEAD = Pattern.compile("^lm_head\\.weight$");
  private static final Pattern DROPPED =
      Pattern.compile("^(?:model\\.visual\\.|vision_tower\\.|mtp\\.)|\\.mtp\\.");
  private static final Pattern NEVER_QUANTIZED =
      Pattern.compile("(?:norm\\.weight|conv1d\\.weight|\\.A_log|\\.dt_bias|\\.bias)$");

  /** Patterns on the part of a name after {@code layers.N.}, tried in order. */
  private static final List<Map.Entry<Pattern, LayerGroup>> LAYER_PATTERNS =
      List.of(
          rule("self_attn\\.(?:q_proj|k_proj|v_proj)\\.weight", LayerGroup.ATTN_QKV),
          rule("self_attn\\.o_proj\\.weight", LayerGroup.ATTN_OUT),
          rule("linear_attn\\.(?:in_proj_qkvz|in_proj_qkv|in_proj_z)\\.weight", LayerGroup.GDN_IN),
          rule("linear_attn\\.(?:in_proj_ba|in_proj_a|in_proj_b)\\.weight", LayerGroup.GDN_AB),
          rule("linear_attn\\.out_proj\\.weight", LayerGroup.GDN_OUT),
          rule("mlp\\.(?:gate_proj|up_proj)\\.weight", LayerGroup.MLP_UP),
          rule("mlp\\.down_proj\\.weight", LayerGroup.MLP_DOWN),
          rule(
              "mlp\\.experts\\."
                  + "(?:gate_up_proj(?:\\.weight)?|\\d+\\.(?:gate_proj|up_proj)\\.weight)",
              LayerGroup.EXPERT_UP),
          rule(
              "mlp\\.experts\\.(?:down_proj(?:\\.weight)?|\\d+\\.down_proj\\.weight)",
              LayerGroup.EXPERT_DOWN),
          rule(
              "mlp\\.shared_expert\\.(?:gate_proj|up_proj|down_proj)\\.weight",
              LayerGroup.SHARED_EXPERT),
          rule("mlp\\.(?:gate|shared_expert_gate)\\.weight", LayerGroup.ROUTER));

  public TensorRole {
    if (kind == null) {
      throw new IllegalArgumentException("TensorRole.kind: missing");
    }
    if ((kind == Kind.GROUPED) != (group != null)) {
      throw new IllegalArgumentException(
          "TensorRole.group: expected a group exactly when kind is GROUPED, found kind "
              + kind
              + " and group "
              + group);
    }
    if (layer < -1) {
      throw new IllegalArgumentException("TensorRole.layer: expected -1 or more, found " + layer);
    }
  }

  private static Map.Entry<Pattern, LayerGroup> rule(String regex, LayerGroup group) {
    return Map.entry(Pattern.compile(regex), group);
  }

  /** Classifies an upstream tensor name. */
  public static TensorRole of(String name) {
    if (DROPPED.matcher(name).find()) {
      return new TensorRole(Kind.DROPPED, null, -1);
    }
    if (EMBED.matcher(name).matches()) {
      return new TensorRole(Kind.GROUPED, LayerGroup.EMBED, -1);
    }
    if (LM_HEAD.matcher(name).matches()) {
      return new TensorRole(Kind.GROUPED, LayerGroup.LM_HEAD, -1);
    }
    Matcher layer = LAYER.matcher(name);
    int index = layer.matches() ? Integer.parseInt(layer.group(1)) : -1;
    if (index >= 0) {
      String rest = layer.group(2);
      for (Map.Entry<Pattern, LayerGroup> entry : LAYER_PATTERNS) {
        if (entry.getKey().matcher(rest).matches()) {
          return new TensorRole(Kind.GROUPED, entry.getValue(), index);
        }
      }
    }
    Kind kind = NEVER_QUANTIZED.matcher(name).find() ? Kind.NEVER_QUANTIZED : Kind.UNKNOWN;
    return new TensorRole(kind, null, index);
  }

  /** Returns whether the tensor belongs to a layer group. */
  public boolean isGrouped() {
    return kind == Kind.GROUPED;
  }
}
