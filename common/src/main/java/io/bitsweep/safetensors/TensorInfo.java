package io.bitsweep.safetensors;

import io.bitsweep.tensor.DType;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name the tensor name exactly as stored, such as {@code
 *     model.language_model.layers.0.linear_attn.out_proj.weight}
 * @param dtype the element type from the header
 * @param shape the dimensions, outermost first
 * @param fileOffset absolute byte offset of the first element in {@code file}
 * @param byteLength bytes the tensor occupies, equal to elements times the dtype size
 * @param file the safetensors file that holds the data
 */
public record TensorInfo(
    String name, DType dtype, long[] shape, long fileOffset, long byteLength, Path file) {

  /** Number of elements, the product of the shape (1 for a scalar). */
  public long elementCount() {
    return elementCount(shape);
  }

  /** The size of the last dimension, or 1 for a scalar. */
  public long lastDim() {
    return shape.length == 0 ? 1 : shape[shape.length - 1];
  }

  /** The shape as {@code [a, b]}, the way errors and reports print it. */
  public String shapeString() {
    return Arrays.toString(shape);
  }

  /** Returns the product of {@code shape}, throwing on overflow. */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      count = Math.multiplyExact(count, dim);
    }
    return count;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TensorInfo that
        && name.equals(that.name)
        && dtype == that.dtype
        && Arrays.equals(shape, that.shape)
        && fileOffset == that.fileOffset
        && byteLength == that.byteLength
        && file.equals(that.file);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + shapeString();
  }
}
