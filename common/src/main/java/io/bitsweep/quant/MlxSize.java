package io.bitsweep.quant;

import io.bitsweep.safetensors.TensorInfo;
import java.util.Locale;

/**
 * Bytes a tensor occupies in the MLX model folder, as {@code mx.save_safetensors} writes it. The
 * MLX writer must produce exactly these sizes.
 *
 * <p>A quantized tensor of {@code n} values with {@code b} bits and group size {@code g} is stored
 * as a packed uint32 weight of {@code n * b / 8} bytes plus scales and biases of {@code n / g}
 * values each in the weight's dtype. An unquantized tensor keeps its checkpoint dtype and size.
 *
 * <p>NOTE: {@code mlx_lm.convert} casts unquantized float tensors (except {@code A_log}) to the
 * model's dtype. For a checkpoint that mixes float dtypes, such as fp32 norms in a bf16 model,
 * these sizes follow the checkpoint instead.
 */
public final class MlxSize {
  private MlxSize() {}

  /**
   * Returns the bytes of one tensor in the MLX model with the given setting.
   *
   * @throws IllegalArgumentException when a quantized setting is given for a tensor that MLX cannot
   *     quantize with it (not floating point, rank below 2, or a last dimension not divisible by
   *     the group size)
   */
  public static long mlxBytes(TensorInfo info, QuantSetting setting) {
    if (!setting.isQuantized()) {
      return info.elementCount() * info.dtype().byteSize();
    }
    checkQuantizable(info, setting);
    long n = info.elementCount();
    long packed = n / 8 * setting.bits(); // n is a multiple of 32, so n / 8 is exact
    long groups = n / setting.groupSize();
    return packed + 2 * groups * info.dtype().byteSize();
  }

  /**
   * Checks that MLX can quantize a tensor with a setting.
   *
   * @throws IllegalArgumentException naming the tensor, the found value and the fix
   */
  public static void checkQuantizable(TensorInfo info, QuantSetting setting) {
    if (!info.dtype().isFloating()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: dtype %s cannot be quantized; MLX quantizes BF16, F16 or F32 tensors",
              info.name(),
              info.dtype()));
    }
    if (info.shape().length < 2) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: shape %s cannot be quantized; MLX quantizes tensors of rank 2 or more",
              info.name(),
              info.shapeString()));
    }
    long lastDim = info.lastDim();
    if (lastDim % setting.groupSize() != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: last dimension %d is not divisible by group size %d; %s",
              info.name(),
              lastDim,
              setting.groupSize(),
              groupSizeAdvice(lastDim)));
    }
  }

  private static String groupSizeAdvice(long lastDim) {
    StringBuilder sizes = new StringBuilder();
    for (int size : AffineQuantizer.SUPPORTED_GROUP_SIZES) {
      if (lastDim % size == 0) {
        sizes.append(sizes.length() == 0 ? "" : ", ").append(size);
      }
    }
    if (sizes.length() == 0) {
      return "no MLX group size divides it, so keep this tensor's group in bf16";
    }
    return "use group size " + sizes + " for this tensor's group, or keep it in bf16";
  }
}
