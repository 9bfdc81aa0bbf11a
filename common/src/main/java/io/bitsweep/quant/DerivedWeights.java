package io.bitsweep.quant;

import io.bitsweep.model.WeightSource;

/**
 * A weight source that derives some tensors from an origin source by a deterministic transform,
 * such as AWQ scaling ({@code io.bitsweep.awq.AwqWeights}). {@link FakeQuantWeights} accepts AWQ
 * settings only over such a source, and keys its shared cache on the origin and the transform key,
 * so configurations that derive a tensor the same way share one fake-quantized copy.
 */
public interface DerivedWeights extends WeightSource {
  /** Returns the source the transforms start from; caches compare it by identity. */
  WeightSource origin();

  /**
   * Returns a key of the transform applied to tensor {@code name}: the empty string when the tensor
   * is the origin's unchanged. Equal keys for the same name and origin mean equal values.
   */
  String transformKey(String name);
}
