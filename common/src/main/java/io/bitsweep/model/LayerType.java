package io.bitsweep.model;

/** The token mixer of a decoder layer, as spelled in config.json {@code layer_types}. */
public enum LayerType {
  /** Gated DeltaNet. */
  LINEAR_ATTENTION("linear_attention"),
  /** Softmax attention over a KV cache (gated in Qwen3.5, plain in Llama). */
  FULL_ATTENTION("full_attention");

  private final String configName;

  LayerType(String configName) {
    this.configName = configName;
  }

  /** The spelling in config.json. */
  public String configName() {
    return configName;
  }

  /** Returns the layer type for a config.json spelling, or null when it is unknown. */
  public static LayerType fromConfigName(String name) {
    for (LayerType type : values()) {
      if (type.configName.equals(name)) {
        return type;
      }
    }
    return null;
  }
}
