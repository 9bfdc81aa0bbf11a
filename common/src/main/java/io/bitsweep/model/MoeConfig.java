package io.bitsweep.model;

import java.util.List;
import java.util.Locale;

/**
 * The sparse mixture-of-experts block.
 *
 * @param numExperts routed experts E ({@code num_experts})
 * @param numExpertsPerTok experts per token k ({@code num_experts_per_tok})
 * @param moeIntermediateSize width Im of one expert ({@code moe_intermediate_size})
 * @param sharedExpertIntermediateSize width Is of the shared expert ({@code
 *     shared_expert_intermediate_size})
 * @param normTopkProb whether the top-k router weights are renormalised to sum to 1 ({@code
 *     norm_topk_prob}); always true for qwen3_5_moe
 * @param decoderSparseStep layer i is sparse when {@code (i + 1) % decoder_sparse_step == 0}
 * @param mlpOnlyLayers layers that use a dense MLP instead ({@code mlp_only_layers})
 */
public record MoeConfig(
    int numExperts,
    int numExpertsPerTok,
    int moeIntermediateSize,
    int sharedExpertIntermediateSize,
    boolean normTopkProb,
    int decoderSparseStep,
    List<Integer> mlpOnlyLayers) {

  public MoeConfig {
    ModelConfig.requirePositive("num_experts", numExperts);
    ModelConfig.requirePositive("num_experts_per_tok", numExpertsPerTok);
    ModelConfig.requirePositive("moe_intermediate_size", moeIntermediateSize);
    ModelConfig.requirePositive("shared_expert_intermediate_size", sharedExpertIntermediateSize);
    ModelConfig.requirePositive("decoder_sparse_step", decoderSparseStep);
    if (numExpertsPerTok > numExperts) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "num_experts_per_tok must be at most num_experts = %d, found %d",
              numExperts,
              numExpertsPerTok));
    }
    mlpOnlyLayers = List.copyOf(mlpOnlyLayers);
  }

  /** Whether decoder layer {@code layer} uses this block rather than a dense MLP. */
  public boolean isSparse(int layer) {
    return !mlpOnlyLayers.contains(layer) && (layer + 1) % decoderSparseStep == 0;
  }
}
