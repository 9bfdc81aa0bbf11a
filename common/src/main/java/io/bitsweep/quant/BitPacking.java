package io.bitsweep.quant;

import java.util.Locale;

/**
 * Packs quantization codes into 32-bit words the way MLX stores them, for every bit width.
 *
 * <p>The codes of one row form a little-endian, LSB-first bit stream: code {@code i} occupies
 * stream bits {@code [i*bits, i*bits + bits)}, least significant bit first, and stream bit {@code
 * p} is bit {@code p % 32} of word {@code p / 32}. For 3, 5 and 6 bits a code may straddle two
 * words. MLX writes the words as little-endian uint32, so the same stream read byte by byte has
 * stream bit {@code p} at bit {@code p % 8} of byte {@code p / 8}.
 */
public final class BitPacking {
  private BitPacking() {}

  /** Number of 32-bit words that hold {@code count} codes of {@code bits} bits. */
  public static int wordCount(int count, int bits) {
    long totalBits = (long) count * bits;
    if (totalBits % 32 != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot pack %d codes of %d bits: %d bits do not fill whole 32-bit words",
              count,
              bits,
              totalBits));
    }
    return Math.toIntExact(totalBits / 32);
  }

  /**
   * Packs {@code count} codes from {@code codes[codeOffset..]} into {@code words[wordOffset..]}.
   * Each code must be in {@code [0, 2^bits)}; {@code count * bits} must be a multiple of 32.
   */
  public static void pack(
      byte[] codes, int codeOffset, int count, int bits, int[] words, int wordOffset) {
    int wordTotal = wordCount(count, bits);
    long buffer = 0; // pending stream bits, lowest first
    int buffered = 0;
    int out = wordOffset;
    for (int i = 0; i < count; i++) {
      buffer |= (long) (codes[codeOffset + i] & 0xFF) << buffered;
      buffered += bits;
      if (buffered >= 32) {
        words[out++] = (int) buffer;
        buffer >>>= 32;
        buffered -= 32;
      }
    }
    assert out - wordOffset == wordTotal && buffered == 0;
  }

  /**
   * Unpacks {@code count} codes of {@code bits} bits from {@code words[wordOffset..]} into {@code
   * codes[codeOffset..]}; the inverse of {@link #pack}.
   */
  public static void unpack(
      int[] words, int wordOffset, int count, int bits, byte[] codes, int codeOffset) {
    wordCount(count, bits);
    long mask = (1L << bits) - 1;
    long buffer = 0;
    int buffered = 0;
    int in = wordOffset;
    for (int i = 0; i < count; i++) {
      if (buffered < bits) {
        buffer |= (words[in++] & 0xFFFFFFFFL) << buffered;
        buffered += 32;
      }
      codes[codeOffset + i] = (byte) (buffer & mask);
      buffer >>>= bits;
      buffered -= bits;
    }
  }

  /** Packs a whole code array; a convenience for tests and small tensors. */
  public static int[] pack(byte[] codes, int bits) {
    int[] words = new int[wordCount(codes.length, bits)];
    pack(codes, 0, codes.length, bits, words, 0);
    return words;
  }

  /** Unpacks {@code count} codes from the start of {@code words}. */
  public static byte[] unpack(int[] words, int count, int bits) {
    byte[] codes = new byte[count];
    unpack(words, 0, count, bits, codes, 0);
    return codes;
  }
}
