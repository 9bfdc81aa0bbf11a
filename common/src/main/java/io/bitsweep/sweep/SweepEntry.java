package io.bitsweep.sweep;

import io.bitsweep.quant.QuantConfig;

/**
 * One generated configuration.
 *
 * @param label a short human description, such as {@code mlp_up=3/64 on 4/64}
 * @param block the name of the spec block that generated it
 * @param config the configuration
 */
public record SweepEntry(String label, String block, QuantConfig config) {
  public SweepEntry {
    if (label == null || block == null || config == null) {
      throw new IllegalArgumentException("SweepEntry: label, block and config are required");
    }
  }

  /** Returns the configuration id. */
  public String id() {
    return config.id();
  }
}
