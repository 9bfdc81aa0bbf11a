package io.bitsweep.awq;

import io.bitsweep.awq.AwqUnit.Previous;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The arithmetic of applying AWQ scales {@code s}, shared by the search, the evaluation and the MLX
 * writer's source so that all three produce the same values. Every stored value is computed in fp32
 * and rounded once (nearest even) to the tensor's checkpoint dtype, so the MLX writer stores it
 * without a second rounding.
 *
 * <ul>
 *   <li>Readers: {@code W'[j, i] = dtype(W[j, i] · s[i])}.
 *   <li>{@code up_proj} before {@code down_proj}: {@code U[j, i] = U[j, i] / s[j]} in fp32, left
 *       unrounded because the {@code post_attention_layernorm} unit may scale its columns next;
 *       {@link #scaleColumns} then rounds once.
 *   <li>Plain RMSNorm: {@code w' = dtype(w / s)}.
 *   <li>Zero-centred RMSNorm, applied as {@code 1 + w}: the multiplier is folded and rounded,
 *       {@code m' = dtype((1 + w) / s)}, and the stored weight is {@code w' = m' - 1} in fp32. The
 *       MLX writer stores zero-centred norms shifted, as {@code dtype(w' + 1)}, which is exactly
 *       {@code m'}, and the forward pass computes {@code 1 + w'}, also exactly {@code m'}. Rounding
 *       {@code w'} itself to bf16 instead would make the two differ, because {@code 1 + w'} needs
 *       more significant bits than bf16 keeps.
 * </ul>
 */
public final class AwqTransforms {
  private AwqTransforms() {}

  /** Returns {@code dtype(W[j, i] · s[i])} for a row-major matrix with {@code s.length} columns. */
  public static float[] scaleColumns(float[] w, float[] s, DType dtype) {
    return scaleColumns(w, 0, w.length / s.length, s, dtype);
  }

  /** Same as {@link #scaleColumns(float[], float[], DType)} for {@code rows} rows from offset. */
  static float[] scaleColumns(float[] w, int offset, int rows, float[] s, DType dtype) {
    int columns = s.length;
    float[] out = new float[rows * columns];
    for (int r = 0; r < rows; r++) {
      int from = offset + r * columns;
      for (int c = 0; c < columns; c++) {
        out[r * columns + c] = AffineQuantizer.storedValue(w[from + c] * s[c], dtype);
      }
    }
    return out;
  }

  /** Returns {@code dtype(W)}: the rounding alone, for matrices whose rows were divided. */
  static float[] round(float[] w, DType dtype) {
    float[] out = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      out[i] = AffineQuantizer.storedValue(w[i], dtype);
    }
    return out;
  }

  /**
   * Divides rows {@code firstRow ..} of a row-major matrix in place: row {@code r} by {@code
   * s[firstRow + r]}, in fp32.
   */
  static void divideRows(float[] w, int columns, float[] s, long firstRow) {
    int rows = w.length / columns;
    for (int r = 0; r < rows; r++) {
      float divisor = s[Math.toIntExact(firstRow + r)];
      for (int c = 0; c < columns; c++) {
        w[r * columns + c] /= divisor;
      }
    }
  }

  /**
   * Returns the stored weight of an RMSNorm that absorbs {@code 1/s}, as the class comment
   * describes.
   *
   * @throws IllegalArgumentException for {@link Previous#LINEAR_ROWS}
   */
  public static float[] foldNorm(float[] w, float[] s, Previous kind, DType dtype) {
    checkWidth(w, s);
    float[] out = new float[w.length];
    for (int c = 0; c < w.length; c++) {
      switch (kind) {
        case PLAIN_NORM -> out[c] = AffineQuantizer.storedValue(w[c] / s[c], dtype);
        case ZERO_CENTERED_NORM -> out[c] = foldZeroCentered(w[c], s[c], dtype);
        default ->
            throw new IllegalArgumentException(
                "Cannot fold scales into a norm of kind "
                    + kind
                    + "; use divideRows for linear rows");
      }
    }
    return out;
  }

  private static float foldZeroCentered(float w, float s, DType dtype) {
    float multiplier = AffineQuantizer.storedValue((1f + w) / s, dtype);
    float stored = multiplier - 1f;
    float applied = 1f + stored;
    if (applied != multiplier || AffineQuantizer.storedValue(applied, dtype) != applied) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Cannot fold AWQ scale %s into norm weight %s: 1 + (m' - 1) = %s differs from the"
                  + " folded multiplier m' = %s",
              s,
              w,
              applied,
              multiplier));
    }
    return stored;
  }

  /** Returns the multiplier an RMSNorm weight applies: {@code 1 + w} (fp32) or {@code w}. */
  public static float[] normMultiplier(float[] w, Previous kind) {
    if (kind == Previous.PLAIN_NORM) {
      return w.clone();
    }
    if (kind != Previous.ZERO_CENTERED_NORM) {
      throw new IllegalArgumentException("A " + kind + " unit has no norm multiplier");
    }
    float[] out = new float[w.length];
    for (int c = 0; c < w.length; c++) {
      out[c] = 1f + w[c];
    }
    return out;
  }

  /**
   * Returns the first 16 hex digits of a SHA-256 over the scales' bit patterns: a key for caches of
   * tensors derived with these scales.
   */
  public static String key(float[] s) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * s.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(s);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes.array());
      return HexFormat.of().formatHex(digest).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }

  private static void checkWidth(float[] w, float[] s) {
    if (w.length != s.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot fold %d scales into a norm weight of %d values; they must match",
              s.length,
              w.length));
    }
  }
}
