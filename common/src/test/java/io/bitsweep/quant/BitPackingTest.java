package io.bitsweep.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.safetensors.Encoding;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bit layouts from the hand-checked examples of the MLX format notes, and round trips. */
class BitPackingTest {

  private static byte[] codes(int... values) {
    byte[] codes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      codes[i] = (byte) values[i];
    }
    return codes;
  }

  /** Pads the given leading codes with zeros to {@code count} codes. */
  private static byte[] padded(int count, int... leading) {
    byte[] codes = new byte[count];
    System.arraycopy(codes(leading), 0, codes, 0, leading.length);
    return codes;
  }

  @Test
  void threeBitsFirstEightCodes() {
    int[] words = BitPacking.pack(padded(32, 1, 2, 3, 4, 5, 6, 7, 0), 3);
    assertThat(words).hasSize(3);
    assertThat(words[0]).isEqualTo(0x001F58D1);
    assertThat(words[1]).isZero();
    assertThat(words[2]).isZero();
  }

  @Test
  void threeBitsCodeTenStraddlesWords() {
    byte[] codes = new byte[32];
    codes[10] = 7;
    int[] words = BitPacking.pack(codes, 3);
    assertThat(words[0]).isEqualTo(0xC0000000);
    assertThat(words[1]).isEqualTo(0x00000001);
    assertThat(words[2]).isZero();
  }

  @Test
  void fiveBitsStraddle() {
    int[] words = BitPacking.pack(padded(32, 1, 2, 3, 4, 5, 6, 7, 31), 5);
    assertThat(words[0]).isEqualTo(0xCC520C41);
    assertThat(words[1]).isEqualTo(0x000000F9);
  }

  @Test
  void sixBitsStraddle() {
    int[] words = BitPacking.pack(padded(32, 1, 2, 3, 63, 5, 6), 6);
    assertThat(words[0]).isEqualTo(0x85FC3081);
    assertThat(words[1]).isEqualTo(0x00000001);
  }

  @Test
  void fourBitsNibbleOrder() {
    int[] words = BitPacking.pack(padded(32, 9, 8, 11, 9, 7, 10, 14, 13), 4);
    assertThat(words[0]).isEqualTo(0xDEA79B89);
  }

  @Test
  void twoAndEightBitsLowCodeFirst() {
    assertThat(BitPacking.pack(padded(32, 1, 2, 3), 2)[0]).isEqualTo(0b11_10_01);
    assertThat(BitPacking.pack(padded(32, 0x11, 0x22, 0x33, 0xFF), 8)[0]).isEqualTo(0xFF332211);
  }

  @Test
  void packUnpackRoundTripsEveryWidth() {
    Random random = new Random(11);
    for (int bits : AffineQuantizer.SUPPORTED_BITS) {
      for (int count : new int[] {32, 64, 96, 128, 4096}) {
        byte[] codes = new byte[count];
        for (int i = 0; i < count; i++) {
          codes[i] = (byte) random.nextInt(1 << bits);
        }
        int[] words = BitPacking.pack(codes, bits);
        assertThat(words).as("%d bits, %d codes", bits, count).hasSize(count * bits / 32);
        assertThat(BitPacking.unpack(words, count, bits))
            .as("%d bits, %d codes", bits, count)
            .containsExactly(codes);
      }
    }
  }

  @Test
  void streamBitMatchesByteLayout() {
    // Stream bit p must be bit p % 8 of byte p / 8 once words are written little-endian.
    Random random = new Random(5);
    for (int bits : AffineQuantizer.SUPPORTED_BITS) {
      byte[] codes = new byte[64];
      for (int i = 0; i < codes.length; i++) {
        codes[i] = (byte) random.nextInt(1 << bits);
      }
      int[] words = BitPacking.pack(codes, bits);
      for (int i = 0; i < codes.length; i++) {
        for (int b = 0; b < bits; b++) {
          int p = i * bits + b;
          int wordByte = (words[p / 32] >>> (8 * ((p / 8) % 4))) & 0xFF;
          int streamBit = (wordByte >>> (p % 8)) & 1;
          assertThat(streamBit)
              .as("%d bits, code %d, bit %d", bits, i, b)
              .isEqualTo((codes[i] >>> b) & 1);
        }
      }
    }
  }

  @Test
  void wordsEncodeAsLittleEndianBytes() {
    int[] words = BitPacking.pack(padded(32, 1, 2, 3, 4, 5, 6, 7, 0), 3);
    ByteBuffer bytes = Encoding.encodeInts(words);
    assertThat(bytes.remaining()).isEqualTo(12);
    assertThat(bytes.get(0) & 0xFF).isEqualTo(0xD1);
    assertThat(bytes.get(1) & 0xFF).isEqualTo(0x58);
    assertThat(bytes.get(2) & 0xFF).isEqualTo(0x1F);
    assertThat(bytes.get(3) & 0xFF).isZero();
  }

  @Test
  void rejectsPartialWords() {
    assertThatThrownBy(() -> BitPacking.pack(new byte[5], 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot pack 5 codes of 3 bits")
        .hasMessageContaining("15 bits do not fill whole 32-bit words");
  }
}
