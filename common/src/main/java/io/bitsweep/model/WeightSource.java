package io.bitsweep.model;

import io.bitsweep.safetensors.TensorInfo;

/**
 * The one way the forward pass reaches weights, by their upstream checkpoint names (for example
 * {@code model.language_model.layers.3.mlp.down_proj.weight}). The plain implementation upcasts
 * the memory-mapped bf16 checkpoint; a quantizing implementation returns fake-quantized values
 * (quantize then dequantize, exactly as MLX does) for the tensors its configuration quantizes,
 * without copying the rest of the model.
 */
public interface WeightSource {
  /** Returns the header entry (shape and stored dtype) of a tensor. */
  TensorInfo info(String name);

  /** Whether the tensor exists. */
  boolean contains(String name);

  /**
   * Returns the whole tensor as fp32, row-major. Implementations may return a shared cached array,
   * so callers must not modify it.
   */
  float[] read(String name);

  /**
   * Copies {@code rowCount} rows of a tensor into {@code dst}, as fp32. A row is one vector along
   * the last dimension, with leading dimensions flattened, so row {@code e * out + r} of an {@code
   * [E, out, in]} expert tensor is row {@code r} of expert {@code e}.
   */
  void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset);

  /**
   * Receives the input rows of a linear projection just before the forward pass multiplies them by
   * weight {@code tensorName}: the first {@code rows · cols} values of {@code x}, row-major, one
   * row per token. The default does nothing; an activation recorder overrides it, and wrappers
   * should forward it to the source they wrap. Implementations must not modify or keep {@code x}.
   *
   * <p>Every projection of the decoder layers is reported, including routed experts (with the rows
   * routed to each expert), shared experts and routers. A fused expert tensor {@code [E, out, in]}
   * is reported once per expert under {@code <tensor>[e]}, such as {@code
   * model.language_model.layers.0.mlp.experts.gate_up_proj[3]}. The output head is not reported.
   */
  default void observeInput(String tensorName, float[] x, int rows, int cols) {}
}
