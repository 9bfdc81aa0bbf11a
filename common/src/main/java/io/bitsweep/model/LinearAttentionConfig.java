package io.bitsweep.model;

import java.util.Locale;

/**
 * Shape of the Gated DeltaNet layers.
 *
 * @param numKeyHeads query/key heads Hk ({@code linear_num_key_heads})
 * @param numValueHeads value heads Hv ({@code linear_num_value_heads}), a multiple of Hk
 * @param keyHeadDim dk ({@code linear_key_head_dim})
 * @param valueHeadDim dv ({@code linear_value_head_dim})
 * @param convKernelDim width Kc of the causal depthwise convolution ({@code
 *     linear_conv_kernel_dim})
 */
public record LinearAttentionConfig(
    int numKeyHeads, int numValueHeads, int keyHeadDim, int valueHeadDim, int convKernelDim) {

  public LinearAttentionConfig {
    ModelConfig.requirePositive("linear_num_key_heads", numKeyHeads);
    ModelConfig.requirePositive("linear_num_value_heads", numValueHeads);
    ModelConfig.requirePositive("linear_key_head_dim", keyHeadDim);
    ModelConfig.requirePositive("linear_value_head_dim", valueHeadDim);
    ModelConfig.requirePositive("linear_conv_kernel_dim", convKernelDim);
    if (numValueHeads % numKeyHeads != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "linear_num_value_heads must be a multiple of linear_num_key_heads = %d, found %d",
              numKeyHeads,
              numValueHeads));
    }
  }

  /** Channels of the convolution, {@code C = 2·Hk·dk + Hv·dv} (q, k and v together). */
  public int convDim() {
    return 2 * numKeyHeads * keyHeadDim + numValueHeads * valueHeadDim;
  }

  /** Value heads per key head, {@code r = Hv / Hk}. */
  public int valueHeadsPerKeyHead() {
    return numValueHeads / numKeyHeads;
  }

  /** Width of the value (and z) projection, {@code Hv·dv}. */
  public int valueDim() {
    return numValueHeads * valueHeadDim;
  }

  /** Width of the query or key projection, {@code Hk·dk}. */
  public int keyDim() {
    return numKeyHeads * keyHeadDim;
  }
}
