package io.bitsweep.quant;

import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * MLX affine quantization, bit-identical to the CPU kernel of {@code mx.quantize} ({@code
 * mlx/backend/cpu/quantized.cpp} at mlx commit {@code 846d176}).
 *
 * <p>Every {@code groupSize} consecutive values along the last axis of a row form a group. Per
 * group, in float32 with round-to-nearest-even:
 *
 * <ol>
 *   <li>{@code scale = max((max - min) / (2^bits - 1), 1e-7f)};
 *   <li>the edge is the value of larger magnitude: {@code min} if {@code |min| > |max|} (strictly),
 *       else {@code max}, in which case the scale is negated;
 *   <li>{@code q0 = rint(edge / scale)}; if {@code q0 != 0} the scale becomes {@code edge / q0} and
 *       the bias is the edge, so that zero falls exactly on code {@code -q0}; otherwise the bias is
 *       0;
 *   <li>each code is {@code rint((w - bias) / scale)} (ties to even), clamped to {@code [0, 2^bits
 *       - 1]}, computed with the float32 scale and bias;
 *   <li>scale and bias are stored in the weight's dtype, rounded to nearest even.
 * </ol>
 *
 * <p>Dequantization is {@code scale * q + bias} in float32 from the stored scale and bias. MLX's
 * {@code mx.dequantize} then casts to the scales' dtype; {@link #fakeQuantize} keeps float32.
 *
 * <p>NOTE: the Metal and CUDA kernels differ (running max starts at 0, rounding is half away from
 * zero), so all-negative groups and exact ties quantize differently on a Mac GPU.
 */
public final class AffineQuantizer {
  /** Bit widths MLX accepts in affine mode. */
  public static final List<Integer> SUPPORTED_BITS = List.of(2, 3, 4, 5, 6, 8);

  /** Group sizes MLX accepts in affine mode. */
  public static final List<Integer> SUPPORTED_GROUP_SIZES = List.of(32, 64, 128);

  /** The lower bound on the scale magnitude, as in the MLX kernel. */
  static final float EPS = 1e-7f;

  /**
   * Whether {@link VectorKernel} can run in this JVM; it gives the same results as the scalar loop.
   */
  static final boolean VECTOR_KERNEL = vectorKernelAvailable();

  /** 1.5 * 2^23: adding it leaves no fraction bits, so float addition rounds to an integer. */
  static final float ROUNDING_OFFSET = 0x1.8p23f;

  private final int bits;
  private final int groupSize;
  private final float maxCode; // 2^bits - 1, called n_bins in MLX

  /**
   * Creates an affine quantizer.
   *
   * @throws IllegalArgumentException listing the allowed values when bits or group size is not one
   *     MLX supports
   */
  public AffineQuantizer(int bits, int groupSize) {
    this.bits = checkBits(bits, "bits");
    this.groupSize = checkGroupSize(groupSize, "group_size");
    this.maxCode = (float) ((1 << bits) - 1);
  }

  /**
   * Creates a quantizer for an MLX mode.
   *
   * @throws UnsupportedOperationException naming the mode unless it is affine
   */
  public static AffineQuantizer forMode(QuantMode mode, int bits, int groupSize) {
    mode.requireAffine();
    return new AffineQuantizer(bits, groupSize);
  }

  /** Creates the quantizer for a quantized setting. */
  public static AffineQuantizer of(QuantSetting setting) {
    if (!setting.isQuantized()) {
      throw new IllegalArgumentException(
          "Cannot build a quantizer for setting "
              + setting.label()
              + ": it keeps tensors unquantized");
    }
    return new AffineQuantizer(setting.bits(), setting.groupSize());
  }

  /**
   * Returns {@code bits} if MLX affine mode accepts it.
   *
   * @param field the name printed in the error, such as {@code groups.mlp_up.bits}
   */
  public static int checkBits(int bits, String field) {
    if (!SUPPORTED_BITS.contains(bits)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: %d bits is not supported by MLX affine quantization; use one of %s",
              field,
              bits,
              SUPPORTED_BITS));
    }
    return bits;
  }

  /**
   * Returns {@code groupSize} if MLX affine mode accepts it.
   *
   * @param field the name printed in the error, such as {@code default.group_size}
   */
  public static int checkGroupSize(int groupSize, String field) {
    if (!SUPPORTED_GROUP_SIZES.contains(groupSize)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: group size %d is not supported by MLX affine quantization; use one of %s",
              field,
              groupSize,
              SUPPORTED_GROUP_SIZES));
    }
    return groupSize;
  }

  public int bits() {
    return bits;
  }

  public int groupSize() {
    return groupSize;
  }

  /**
   * Quantizes a float32 tensor of rank 2 or more, row by row along the last axis.
   *
   * @param values the tensor, row-major, as exact float32 widenings of its stored values
   * @param shape its dimensions; the last must be divisible by the group size
   * @param scaleDtype the dtype scales and biases are stored in: the weight's dtype, BF16, F16 or
   *     F32
   */
  public QuantizedTensor quantize(float[] values, long[] shape, DType scaleDtype) {
    int columns = checkShape(values, shape);
    checkScaleDtype(scaleDtype);
    int rows = values.length / columns;
    int groupsPerRow = columns / groupSize;
    int wordsPerRow = BitPacking.wordCount(columns, bits);
    int[] words = new int[rows * wordsPerRow];
    float[] scales = new float[rows * groupsPerRow];
    float[] biases = new float[rows * groupsPerRow];
    RowParallel.forEachRange(
        rows,
        columns,
        (from, to) -> {
          byte[] codes = new byte[columns];
          for (int row = from; row < to; row++) {
            quantizeRow(
                values,
                row * columns,
                columns,
                scaleDtype,
                codes,
                scales,
                biases,
                row * groupsPerRow);
            BitPacking.pack(codes, 0, columns, bits, words, row * wordsPerRow);
          }
        });
    return new QuantizedTensor(shape.clone(), bits, groupSize, scaleDtype, words, scales, biases);
  }

  /**
   * Quantizes then dequantizes a tensor, returning float32 values equal to {@code quantize(values,
   * shape, scaleDtype).dequantize()} without packing.
   */
  public float[] fakeQuantize(float[] values, long[] shape, DType scaleDtype) {
    int columns = checkShape(values, shape);
    float[] out = new float[values.length];
    fakeQuantizeRows(values, 0, out, 0, values.length / columns, columns, scaleDtype);
    return out;
  }

  /**
   * Fake-quantizes {@code rowCount} rows of {@code columns} values from {@code src[srcOffset..]}
   * into {@code dst[dstOffset..]}, in parallel over rows. Rows are quantized independently, so any
   * slice of rows gives the same values as the whole tensor.
   */
  public void fakeQuantizeRows(
      float[] src,
      int srcOffset,
      float[] dst,
      int dstOffset,
      int rowCount,
      int columns,
      DType scaleDtype) {
    checkColumns(columns);
    checkScaleDtype(scaleDtype);
    RowParallel.forEachRange(
        rowCount,
        columns,
        (from, to) -> {
          for (int row = from; row < to; row++) {
            fakeQuantizeRow(
                src,
                srcOffset + row * columns,
                dst,
                dstOffset + row * columns,
                columns,
                scaleDtype);
          }
        });
  }

  private void quantizeRow(
      float[] w,
      int offset,
      int columns,
      DType scaleDtype,
      byte[] codes,
      float[] scales,
      float[] biases,
      int groupIndex) {
    for (int start = 0; start < columns; start += groupSize, groupIndex++) {
      long parameters = groupParameters(w, offset + start, groupSize, maxCode);
      float scale = scaleOf(parameters);
      float bias = biasOf(parameters);
      for (int i = 0; i < groupSize; i++) {
        codes[start + i] = (byte) code(w[offset + start + i], scale, bias, maxCode);
      }
      scales[groupIndex] = storedValue(scale, scaleDtype);
      biases[groupIndex] = storedValue(bias, scaleDtype);
    }
  }

  private void fakeQuantizeRow(
      float[] w, int offset, float[] out, int outOffset, int columns, DType scaleDtype) {
    if (VECTOR_KERNEL) {
      VectorKernel.fakeQuantizeRow(
          w, offset, out, outOffset, columns, groupSize, maxCode, scaleDtype);
    } else {
      fakeQuantizeRowScalar(w, offset, out, outOffset, columns, groupSize, maxCode, scaleDtype);
    }
  }

  private static boolean vectorKernelAvailable() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    int lanes = VectorKernel.lanes();
    return lanes > 1 && 32 % lanes == 0;
  }

  /** The portable form of the fake-quantization kernel; {@link VectorKernel} must match it. */
  static void fakeQuantizeRowScalar(
      float[] w,
      int offset,
      float[] out,
      int outOffset,
      int columns,
      int groupSize,
      float maxCode,
      DType scaleDtype) {
    for (int start = 0; start < columns; start += groupSize) {
      int from = offset + start;
      long parameters = groupParameters(w, from, groupSize, maxCode);
      float scale = scaleOf(parameters);
      float bias = biasOf(parameters);
      float storedScale = storedValue(scale, scaleDtype);
      float storedBias = storedValue(bias, scaleDtype);
      int to = outOffset + start;
      for (int i = 0; i < groupSize; i++) {
        float q = roundHalfEven((w[from + i] - bias) / scale);
        q = Math.min(Math.max(q, 0f), maxCode);
        out[to + i] = storedScale * q + storedBias;
      }
    }
  }

  /**
   * Computes one group's float32 scale and bias (steps 1 to 3 of the class comment) and returns
   * them packed as raw float bits: scale in the high 32 bits, bias in the low 32 bits. Packing into
   * a long keeps the hot loop free of allocation.
   */
  static long groupParameters(float[] w, int from, int size, float maxCode) {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = from; i < from + size; i++) {
      float v = w[i];
      if (v < min) {
        min = v;
      }
      if (v > max) {
        max = v;
      }
    }
    return groupParameters(min, max, maxCode);
  }

  /**
   * Computes a group's scale and bias from its minimum and maximum. The sign of a zero minimum or
   * maximum does not matter: only an all-zero group could tell them apart, and its bias is 0.
   */
  static long groupParameters(float min, float max, float maxCode) {
    float scale = (max - min) / maxCode;
    if (scale < EPS) {
      scale = EPS;
    }
    boolean edgeIsMin = Math.abs(min) > Math.abs(max);
    if (!edgeIsMin) {
      scale = -scale;
    }
    float edge = edgeIsMin ? min : max;
    float q0 = (float) Math.rint(edge / scale);
    float bias = 0f;
    if (q0 != 0f) {
      scale = edge / q0;
      bias = edge;
    }
    return ((long) Float.floatToRawIntBits(scale) << 32)
        | (Float.floatToRawIntBits(bias) & 0xFFFFFFFFL);
  }

  static float scaleOf(long parameters) {
    return Float.intBitsToFloat((int) (parameters >>> 32));
  }

  static float biasOf(long parameters) {
    return Float.intBitsToFloat((int) parameters);
  }

  /** Computes one code, {@code rint((w - bias) / scale)} clamped to {@code [0, maxCode]}. */
  static float code(float w, float scale, float bias, float maxCode) {
    float q = roundHalfEven((w - bias) / scale);
    return Math.min(Math.max(q, 0f), maxCode);
  }

  /**
   * Rounds to the nearest integer, ties to even, like {@code Math.rint}, for {@code |x| < 2^22}.
   * The float addition rounds to nearest even and the offset is even, so the sum's parity is the
   * result's. Codes stay far inside that range: the edge has at least half the group's range in
   * magnitude, so before clamping {@code |(w - bias) / scale| <= 2^bits} (plus float rounding) for
   * any finite group. Unlike {@code Math.rint} on a double, this form vectorizes.
   */
  static float roundHalfEven(float x) {
    return (x + ROUNDING_OFFSET) - ROUNDING_OFFSET;
  }

  /** Rounds a float32 scale or bias to its storage dtype (nearest even), widened back. */
  public static float storedValue(float value, DType dtype) {
    switch (dtype) {
      case BF16:
        return Floats.roundToBf16(value);
      case F16:
        return Floats.f16ToFloat(Floats.floatToF16(value));
      case F32:
        return value;
      default:
        throw badScaleDtype(dtype);
    }
  }

  static void checkScaleDtype(DType dtype) {
    if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
      throw badScaleDtype(dtype);
    }
  }

  private static IllegalArgumentException badScaleDtype(DType dtype) {
    return new IllegalArgumentException(
        "Cannot store scales and biases as "
            + dtype
            + ": MLX stores them in the weight's float dtype; use BF16, F16 or F32");
  }

  private int checkShape(float[] values, long[] shape) {
    if (shape.length < 2) {
      throw new IllegalArgumentException(
          "Cannot quantize a tensor of shape "
              + Arrays.toString(shape)
              + ": MLX quantizes tensors of rank 2 or more");
    }
    long count = 1;
    for (long dim : shape) {
      count = Math.multiplyExact(count, dim);
    }
    if (count != values.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot quantize: shape %s has %d elements but %d values were given",
              Arrays.toString(shape),
              count,
              values.length));
    }
    return checkColumns(Math.toIntExact(shape[shape.length - 1]));
  }

  private int checkColumns(int columns) {
    if (columns <= 0 || columns % groupSize != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot quantize rows of %d values with group size %d: the last dimension must be a"
                  + " positive multiple of the group size",
              columns,
              groupSize));
    }
    return columns;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "affine %d bits, group size %d", bits, groupSize);
  }
}
