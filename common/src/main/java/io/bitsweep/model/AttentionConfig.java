package io.bitsweep.model;

import java.util.Locale;

/**
 * Shape of the full-attention layers.
 *
 * @param numAttentionHeads query heads ({@code num_attention_heads})
 * @param numKeyValueHeads key/value heads ({@code num_key_value_heads}), dividing the query heads
 * @param headDim per-head width ({@code head_dim}); explicit in Qwen3.5, hidden / heads in Llama
 * @param ropeTheta rotary base ({@code rope_theta})
 * @param partialRotaryFactor fraction of each head that is rotated ({@code partial_rotary_factor})
 */
public record AttentionConfig(
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    double ropeTheta,
    double partialRotaryFactor) {

  public AttentionConfig {
    ModelConfig.requirePositive("num_attention_heads", numAttentionHeads);
    ModelConfig.requirePositive("num_key_value_heads", numKeyValueHeads);
    ModelConfig.requirePositive("head_dim", headDim);
    if (numAttentionHeads % numKeyValueHeads != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "num_attention_heads must be a multiple of num_key_value_heads = %d, found %d",
              numKeyValueHeads,
              numAttentionHeads));
    }
    if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
      throw new IllegalArgumentException(
          "rope_theta must be a positive finite number, found " + ropeTheta);
    }
    if (!(partialRotaryFactor > 0 && partialRotaryFactor <= 1)) {
      throw new IllegalArgumentException(
          "partial_rotary_factor must be in (0, 1], found " + partialRotaryFactor);
    }
    int rotary = (int) (headDim * partialRotaryFactor);
    if (rotary < 2 || rotary % 2 != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "head_dim %d x partial_rotary_factor %s gives %d rotary dims, expected an even"
                  + " number of at least 2",
              headDim,
              partialRotaryFactor,
              rotary));
    }
  }

  /** Rotated dims per head, {@code R = int(head_dim · partial_rotary_factor)}. */
  public int rotaryDim() {
    return (int) (headDim * partialRotaryFactor);
  }

  /** Query heads that share one key/value head. */
  public int groupSize() {
    return numAttentionHeads / numKeyValueHeads;
  }
}
