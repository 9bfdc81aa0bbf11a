package io.bitsweep.quant;

import io.bitsweep.tensor.DType;
import java.util.Arrays;
import java.util.Locale;

/**
 * One tensor in MLX affine form: packed codes, and one scale and bias per group.
 *
 * @param shape the logical shape of the weight, such as {@code [out, in]} or {@code [E, out, in]}
 * @param bits bits per code
 * @param groupSize values per group along the last axis
 * @param scaleDtype the dtype scales and biases are stored in (the weight's dtype)
 * @param words packed codes, {@code shape[:-1] + [in * bits / 32]} uint32 words, row-major; see
 *     {@link BitPacking}
 * @param scales one per group, {@code shape[:-1] + [in / groupSize]}, holding exactly the values
 *     {@code scaleDtype} stores
 * @param biases one per group, same shape and dtype as {@code scales}
 */
public record QuantizedTensor(
    long[] shape,
    int bits,
    int groupSize,
    DType scaleDtype,
    int[] words,
    float[] scales,
    float[] biases) {

  public QuantizedTensor {
    AffineQuantizer.checkBits(bits, "bits");
    AffineQuantizer.checkGroupSize(groupSize, "group_size");
    AffineQuantizer.checkScaleDtype(scaleDtype);
    long columns = shape.length < 2 ? 0 : shape[shape.length - 1];
    if (columns <= 0 || columns % groupSize != 0) {
      throw new IllegalArgumentException(
          "Cannot hold quantized tensor of shape "
              + Arrays.toString(shape)
              + ": rank must be 2 or more and the last dimension a multiple of "
              + groupSize);
    }
    long rows = elementCount(shape) / columns;
    checkLength("words", words.length, rows * columns * bits / 32);
    checkLength("scales", scales.length, rows * columns / groupSize);
    checkLength("biases", biases.length, rows * columns / groupSize);
  }

  private static void checkLength(String field, int found, long expected) {
    if (found != expected) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "QuantizedTensor.%s: expected %d values, found %d",
              field,
              expected,
              found));
    }
  }

  private static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      count = Math.multiplyExact(count, dim);
    }
    return count;
  }

  /** Values per row (the last dimension). */
  public int columns() {
    return (int) shape[shape.length - 1];
  }

  /** Rows, with the leading dimensions flattened. */
  public int rows() {
    return scales.length / (columns() / groupSize);
  }

  /** The shape of the packed weight as MLX stores it: {@code shape[:-1] + [in * bits / 32]}. */
  public long[] wordsShape() {
    long[] result = shape.clone();
    result[result.length - 1] = shape[shape.length - 1] * bits / 32;
    return result;
  }

  /** The shape of scales and biases: {@code shape[:-1] + [in / groupSize]}. */
  public long[] scalesShape() {
    long[] result = shape.clone();
    result[result.length - 1] = shape[shape.length - 1] / groupSize;
    return result;
  }

  /** Unpacks every code, row-major, as unsigned bytes. */
  public byte[] codes() {
    int columns = columns();
    int wordsPerRow = columns * bits / 32;
    byte[] codes = new byte[rows() * columns];
    for (int row = 0; row < rows(); row++) {
      BitPacking.unpack(words, row * wordsPerRow, columns, bits, codes, row * columns);
    }
    return codes;
  }

  /**
   * Dequantizes to float32: {@code scale * q + bias} per element, from the stored scales and
   * biases.
   */
  public float[] dequantize() {
    int columns = columns();
    int wordsPerRow = columns * bits / 32;
    int groupsPerRow = columns / groupSize;
    float[] out = new float[rows() * columns];
    RowParallel.forEachRange(
        rows(),
        columns,
        (from, to) -> {
          byte[] codes = new byte[columns];
          for (int row = from; row < to; row++) {
            BitPacking.unpack(words, row * wordsPerRow, columns, bits, codes, 0);
            for (int i = 0; i < columns; i++) {
              int group = row * groupsPerRow + i / groupSize;
              out[row * columns + i] = scales[group] * (codes[i] & 0xFF) + biases[group];
            }
          }
        });
    return out;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof QuantizedTensor that
        && Arrays.equals(shape, that.shape)
        && bits == that.bits
        && groupSize == that.groupSize
        && scaleDtype == that.scaleDtype
        && Arrays.equals(words, that.words)
        && Arrays.equals(scales, that.scales)
        && Arrays.equals(biases, that.biases);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shape) * 31 + Arrays.hashCode(words);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "QuantizedTensor[%s, %d bits, group size %d, scales %s]",
        Arrays.toString(shape),
        bits,
        groupSize,
        scaleDtype);
  }
}
