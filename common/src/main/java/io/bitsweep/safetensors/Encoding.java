package io.bitsweep.safetensors;

import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian encodings of fp32 and integer arrays in safetensors dtypes. */
public final class Encoding {
  private Encoding() {}

  /** Encodes fp32 values as BF16 (round to nearest even), F16 or F32. */
  public static ByteBuffer encodeFloats(DType dtype, float[] values) {
    ByteBuffer out = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case BF16 -> {
        for (float v : values) {
          out.putShort(Floats.floatToBf16(v));
        }
      }
      case F16 -> {
        for (float v : values) {
          out.putShort(Floats.floatToF16(v));
        }
      }
      case F32 -> {
        for (float v : values) {
          out.putFloat(v);
        }
      }
      default -> throw new IllegalArgumentException("Cannot encode floats as " + dtype + "; use BF16, F16 or F32");
    }
    return out.flip();
  }

  /** Encodes 32-bit words (for example packed quantized weights) as U32. */
  public static ByteBuffer encodeInts(int[] values) {
    ByteBuffer out = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      out.putInt(v);
    }
    return out.flip();
  }
}
