package io.bitsweep.tensor;

/**
 * Conversions between fp32 and the 16-bit float formats, with the rounding MLX and PyTorch use.
 *
 * <p>fp32 to bf16 rounds to nearest even and maps every NaN to {@code 0x7FC0}, exactly as {@code
 * mlx/types/bf16.h} does. fp32 to fp16 is IEEE 754 round to nearest even (Java 17 has no {@code
 * Float.floatToFloat16}).
 */
public final class Floats {
  private Floats() {}

  /** Widens a bf16 bit pattern (low 16 bits of {@code bits}) to fp32; exact. */
  public static float bf16ToFloat(int bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** Rounds fp32 to the nearest bf16, ties to even; returns the 16-bit pattern. */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) 0x7FC0;
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** Rounds fp32 to bf16 and widens it back, the value a bf16 tensor would hold. */
  public static float roundToBf16(float value) {
    return bf16ToFloat(floatToBf16(value));
  }

  /** Widens an IEEE fp16 bit pattern (low 16 bits) to fp32; exact. */
  public static float f16ToFloat(int bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1F;
    int mantissa = bits & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      // Subnormal fp16: value = mantissa * 2^-24, exactly representable in fp32.
      float magnitude = mantissa * 0x1.0p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  /** Rounds fp32 to the nearest IEEE fp16, ties to even; returns the 16-bit pattern. */
  public static short floatToF16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xFF;
    int mantissa = bits & 0x7FFFFF;
    if (exponent == 0xFF) {
      return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0));
    }
    int unbiased = exponent - 127;
    if (unbiased > 15) {
      return (short) (sign | 0x7C00);
    }
    if (unbiased >= -14) {
      // Normal fp16: keep 10 mantissa bits, round the dropped 13 to nearest even.
      int half = ((unbiased + 15) << 10) | (mantissa >>> 13);
      int dropped = mantissa & 0x1FFF;
      if (dropped > 0x1000 || (dropped == 0x1000 && (half & 1) == 1)) {
        half++; // may carry into the exponent, which also handles rounding up to infinity
      }
      return (short) (sign | half);
    }
    if (unbiased < -25) {
      return (short) sign;
    }
    // Subnormal fp16: shift the full significand (with its implicit 1) into place and round.
    int significand = mantissa | 0x800000;
    int shift = -unbiased - 14 + 13;
    int half = significand >>> shift;
    int dropped = significand & ((1 << shift) - 1);
    int midpoint = 1 << (shift - 1);
    if (dropped > midpoint || (dropped == midpoint && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }
}
