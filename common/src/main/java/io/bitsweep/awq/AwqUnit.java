package io.bitsweep.awq;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One place where AWQ scales apply: projections that read the same input, and the operation just
 * before them that absorbs the inverse scales. Scaling input channel {@code c} of every reader by
 * {@code s[c]} and dividing the same channel of the previous operation's output by {@code s[c]}
 * leaves the model's function unchanged before quantization.
 *
 * @param kind which of the four unit shapes this is
 * @param layer the decoder layer
 * @param previous the tensor that absorbs {@code 1/s}: an RMSNorm weight, or {@code
 *     mlp.up_proj.weight} whose output rows are divided
 * @param previousKind how {@code previous} absorbs the scales
 * @param projections the readers whose layer group AWQ corrects; their quantization error is what
 *     the search minimizes, and their input statistics are the unit's
 * @param companions other readers of the same input whose group AWQ does not correct ({@code
 *     linear_attn.in_proj_a} and {@code in_proj_b}); their columns are scaled as well, which keeps
 *     the model exact, and they keep their own setting
 */
public record AwqUnit(
    Kind kind,
    int layer,
    String previous,
    Previous previousKind,
    List<String> projections,
    List<String> companions) {

  /** The unit shapes, named by what the scaled projections compute. */
  public enum Kind {
    /** {@code input_layernorm} → {@code self_attn.q_proj, k_proj, v_proj}. */
    ATTENTION_INPUT,
    /**
     * {@code input_layernorm} → {@code linear_attn.in_proj_qkv, in_proj_z} (or Qwen3-Next's {@code
     * in_proj_qkvz}), with {@code in_proj_a, in_proj_b} (or {@code in_proj_ba}) as companions.
     */
    DELTANET_INPUT,
    /** {@code post_attention_layernorm} → {@code mlp.gate_proj, up_proj}. */
    MLP_INPUT,
    /** {@code mlp.up_proj} output rows → {@code mlp.down_proj} input columns. */
    MLP_DOWN
  }

  /** The ways the previous operation absorbs {@code 1/s}. */
  public enum Previous {
    /** An RMSNorm applied as {@code 1 + w} (Qwen3.5, Qwen3-Next): {@code 1 + w' = (1 + w)/s}. */
    ZERO_CENTERED_NORM,
    /** An RMSNorm applied as {@code w} (Llama): {@code w' = w/s}. */
    PLAIN_NORM,
    /** A linear layer whose output row {@code c} is divided by {@code s[c]}. */
    LINEAR_ROWS
  }

  public AwqUnit {
    if (kind == null || previousKind == null || previous == null) {
      throw new IllegalArgumentException("AwqUnit: kind, previous and previousKind are required");
    }
    if (projections == null || projections.isEmpty()) {
      throw new IllegalArgumentException(
          "AwqUnit " + kind + " of layer " + layer + ": expected at least one projection");
    }
    projections = List.copyOf(projections);
    companions = List.copyOf(companions);
  }

  /** Returns the tensor whose input statistics drive the search (every projection reads it). */
  public String inputTensor() {
    return projections.get(0);
  }

  /** Returns the projections, then the companions: every tensor whose columns are scaled. */
  public List<String> readers() {
    List<String> all = new ArrayList<>(projections);
    all.addAll(companions);
    return all;
  }

  /** Returns a short name for logs and keys, such as {@code layer 3 attention_input}. */
  public String label() {
    return String.format(Locale.ROOT, "layer %d %s", layer, kind.name().toLowerCase(Locale.ROOT));
  }
}
