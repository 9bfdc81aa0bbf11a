package io.bitsweep.model;

import java.util.List;

/** The model families the forward pass implements, keyed by config.json {@code model_type}. */
public enum Architecture {
  /** Dense Qwen3.5: Gated DeltaNet and gated attention layers with SwiGLU MLPs. */
  QWEN3_5(List.of("qwen3_5", "qwen3_5_text")),
  /** Qwen3.5 with a sparse mixture of experts in every layer (fused expert tensors). */
  QWEN3_5_MOE(List.of("qwen3_5_moe", "qwen3_5_moe_text")),
  /** Qwen3-Next: fused, group-interleaved DeltaNet projections and per-expert tensors. */
  QWEN3_NEXT(List.of("qwen3_next")),
  /** Llama: rotary attention on the full head and plain RMSNorm. */
  LLAMA(List.of("llama"));

  private final List<String> modelTypes;

  Architecture(List<String> modelTypes) {
    this.modelTypes = modelTypes;
  }

  /** The {@code model_type} values that select this architecture. */
  public List<String> modelTypes() {
    return modelTypes;
  }

  /** Whether RMSNorm weights are stored zero-centred and applied as {@code 1 + w}. */
  public boolean zeroCenteredNorms() {
    return this != LLAMA;
  }

  /** Whether the architecture has Gated DeltaNet layers and gated attention. */
  public boolean isQwen() {
    return this != LLAMA;
  }

  /**
   * Returns the architecture for a {@code model_type} value.
   *
   * @throws UnsupportedOperationException naming the value and the supported ones
   */
  public static Architecture fromModelType(String modelType) {
    for (Architecture architecture : values()) {
      if (architecture.modelTypes.contains(modelType)) {
        return architecture;
      }
    }
    throw new UnsupportedOperationException(
        "model_type \""
            + modelType
            + "\" is not supported: expected one of qwen3_5, qwen3_5_text,"
            + " qwen3_5_moe, qwen3_5_moe_text, qwen3_next or llama");
  }
}
