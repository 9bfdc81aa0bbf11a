package io.bitsweep.model;

import java.util.Arrays;

/**
 * A tensor that a {@link ModelConfig} implies, by upstream name.
 *
 * @param name the checkpoint name, such as {@code model.language_model.layers.0.mlp.up_proj.weight}
 * @param shape the expected dimensions, outermost first
 */
public record ExpectedTensor(String name, long[] shape) {
  public ExpectedTensor {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The shape as {@code [a, b]}. */
  public String shapeString() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ExpectedTensor that
        && name.equals(that.name)
        && Arrays.equals(shape, that.shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + shapeString();
  }
}
