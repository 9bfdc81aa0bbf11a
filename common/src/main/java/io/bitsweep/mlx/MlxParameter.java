package io.bitsweep.mlx;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One parameter of the mlx-lm module tree (a module weight such as {@code
 * language_model.model.layers.0.mlp.switch_mlp.gate_proj.weight}, or a bare parameter such as
 * {@code A_log}) and the Hugging Face tensors its values come from.
 *
 * @param name the MLX name
 * @param shape the logical shape in MLX, before quantization packs the last dimension
 * @param segments where each source tensor's values sit in this parameter, in target order
 * @param shiftedNorm whether the values are a zero-centred RMSNorm weight stored as {@code 1 + w}
 */
record MlxParameter(String name, long[] shape, List<Segment> segments, boolean shiftedNorm) {

  /**
   * A run of consecutive values copied from a source tensor into this parameter, in elements of the
   * row-major layouts of both.
   *
   * @param source the Hugging Face tensor name
   * @param sourceOffset the first element read from the source
   * @param targetOffset the element of this parameter where the run starts
   * @param length the number of elements
   */
  record Segment(String source, long sourceOffset, long targetOffset, long length) {
    Segment {
      if (sourceOffset < 0 || targetOffset < 0 || length <= 0) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "invalid segment of %s: source offset %d, target offset %d, length %d",
                source,
                sourceOffset,
                targetOffset,
                length));
      }
    }

    /** Returns the first source element past the run. */
    long sourceEnd() {
      return sourceOffset + length;
    }
  }

  MlxParameter {
    shape = shape.clone();
    segments = List.copyOf(segments);
    long covered = 0;
    for (Segment segment : segments) {
      if (segment.targetOffset() != covered) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: segment of %s starts at element %d, expected %d; segments must cover the"
                    + " parameter in order without gaps",
                name,
                segment.source(),
                segment.targetOffset(),
                covered));
      }
      covered += segment.length();
    }
    if (covered != elementCount(shape)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: segments cover %d elements, shape %s has %d",
              name,
              covered,
              Arrays.toString(shape),
              elementCount(shape)));
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Returns the number of values. */
  long elementCount() {
    return elementCount(shape);
  }

  /** Returns the size of the last dimension, or 1 for a scalar. */
  long lastDim() {
    return shape.length == 0 ? 1 : shape[shape.length - 1];
  }

  /** Returns the rank. */
  int rank() {
    return shape.length;
  }

  /** Returns the module path for a module weight, or null for a bare parameter. */
  String modulePath() {
    return MlxNames.modulePath(name);
  }

  static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      count = Math.multiplyExact(count, dim);
    }
    return count;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MlxParameter that
        && name.equals(that.name)
        && Arrays.equals(shape, that.shape)
        && segments.equals(that.segments)
        && shiftedNorm == that.shiftedNorm;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + Arrays.toString(shape);
  }
}
