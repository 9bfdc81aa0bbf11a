package io.bitsweep.quant;

import java.util.Arrays;
import java.util.Locale;

/**
 * The quantization modes MLX defines ({@code "mode"} in an MLX {@code config.json}). bitsweep
 * implements only {@link #AFFINE}; the others are recognised so that a configuration naming them
 * fails with a clear message instead of being misread.
 */
public enum QuantMode {
  AFFINE("affine"),
  MXFP4("mxfp4"),
  NVFP4("nvfp4"),
  MXFP8("mxfp8");

  private final String configName;

  QuantMode(String configName) {
    this.configName = configName;
  }

  /** The spelling in MLX configs, such as {@code "affine"}. */
  public String configName() {
    return configName;
  }

  /**
   * Parses an MLX mode name.
   *
   * @throws IllegalArgumentException naming the value and the known modes
   */
  public static QuantMode fromConfigName(String name) {
    for (QuantMode mode : values()) {
      if (mode.configName.equals(name)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "unknown quantization mode \"%s\": expected one of %s",
            name,
            Arrays.stream(values()).map(QuantMode::configName).toList()));
  }

  /**
   * Throws unless this mode is affine.
   *
   * @throws UnsupportedOperationException naming the mode for mxfp4, nvfp4 and mxfp8
   */
  public void requireAffine() {
    if (this != AFFINE) {
      throw new UnsupportedOperationException(
          "Quantization mode "
              + configName
              + " is not supported: bitsweep implements only MLX affine quantization;"
              + " use \"mode\": \"affine\" (or leave the mode out)");
    }
  }
}
