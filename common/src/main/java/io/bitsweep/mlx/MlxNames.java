package io.bitsweep.mlx;

import io.bitsweep.model.Architecture;
import java.util.List;

/**
 * Tensor names of the mlx-lm module tree, derived from Hugging Face checkpoint names.
 *
 * <p>mlx-lm's {@code qwen3_5} and {@code qwen3_5_moe} models nest the text model under {@code
 * language_model}: {@code model.language_model.X} becomes {@code language_model.model.X}, and any
 * other name gets {@code language_model.} in front (so {@code lm_head.weight} becomes {@code
 * language_model.lm_head.weight}). The {@code qwen3_next} and {@code llama} models keep the Hugging
 * Face names ({@code model.layers.N...}, {@code model.embed_tokens}, {@code model.norm}, {@code
 * lm_head}). This follows the {@code sanitize} methods of those mlx-lm models.
 */
final class MlxNames {
  /** Prefix of the text model inside mlx-lm's Qwen3.5 model. */
  static final String QWEN35_TEXT_MODEL = "language_model.";

  private static final String HF_LANGUAGE_MODEL = "model.language_model.";

  /**
   * Suffixes of the RMSNorm weights that Qwen3.5 and Qwen3-Next store zero-centred ({@code 1 + w})
   * and MLX stores as the multiplier itself, matched on MLX names as mlx-lm's sanitize does. The
   * gated {@code linear_attn.norm.weight} is a plain multiplier and is not among them.
   */
  private static final List<String> ZERO_CENTRED_NORM_SUFFIXES =
      List.of(
          ".input_layernorm.weight",
          ".post_attention_layernorm.weight",
          "model.norm.weight",
          ".q_norm.weight",
          ".k_norm.weight");

  private final Architecture architecture;

  MlxNames(Architecture architecture) {
    this.architecture = architecture;
  }

  /** Returns whether mlx-lm nests this architecture's text model under {@code language_model}. */
  boolean nested() {
    return architecture == Architecture.QWEN3_5 || architecture == Architecture.QWEN3_5_MOE;
  }

  /** Returns the MLX name of a Hugging Face tensor name, before any expert split or stack. */
  String mlxName(String hfName) {
    if (!nested()) {
      return hfName;
    }
    if (hfName.startsWith(HF_LANGUAGE_MODEL)) {
      return QWEN35_TEXT_MODEL + "model." + hfName.substring(HF_LANGUAGE_MODEL.length());
    }
    if (hfName.startsWith(QWEN35_TEXT_MODEL)) {
      return hfName;
    }
    return QWEN35_TEXT_MODEL + hfName;
  }

  /** Returns the MLX name of the embedding, {@code [language_model.]model.embed_tokens.weight}. */
  String embedding() {
    return (nested() ? QWEN35_TEXT_MODEL : "") + "model.embed_tokens.weight";
  }

  /**
   * Returns whether a 1-D MLX tensor is a zero-centred RMSNorm weight, which the MLX model stores
   * shifted by +1. Llama's norms are plain multipliers, so nothing is shifted there.
   */
  boolean isShiftedNorm(String mlxName, int rank) {
    if (!architecture.zeroCenteredNorms() || rank != 1) {
      return false;
    }
    for (String suffix : ZERO_CENTRED_NORM_SUFFIXES) {
      if (mlxName.endsWith(suffix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the module path of a module weight ({@code P.weight} gives {@code P}), or null for a
   * bare parameter such as {@code A_log}.
   */
  static String modulePath(String mlxName) {
    return mlxName.endsWith(".weight") ? mlxName.substring(0, mlxName.length() - 7) : null;
  }
}
