package io.bitsweep.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The quantizer against worked examples computed independently of this code: numbers from a
 * re-implementation of the MLX CPU kernel whose bit layouts were checked by hand against MLX's
 * unpackers, and a numpy transcription of the kernel ({@code
 * src/test/resources/quant/make_affine_golden.py}).
 */
class AffineQuantizerTest {

  /**
   * {@code numpy.random.default_rng(0).normal(0, 0.02, 32)} rounded to bf16, as bit patterns: the
   * input of the worked example whose minimum is -0.0463867.
   */
  private static final int[] NORMAL_GROUP_BF16 = {
    0x3B25, 0xBB2D, 0x3C52, 0x3B09, 0xBC30, 0x3BED, 0x3CD6, 0x3C9B,
    0xBC67, 0xBCCF, 0xBC4C, 0x3A59, 0xBD3E, 0xBB8F, 0xBCCC, 0xBC70,
    0xBC32, 0xBBCF, 0x3C07, 0x3CAB, 0xBB28, 0x3CE0, 0xBC5A, 0x3BE6,
    0x3C94, 0x3AF6, 0xBC74, 0xBC97, 0xBC16, 0x3B90, 0xBCA5, 0xBB89
  };

  private static float[] bf16Values(int[] bits) {
    float[] values = new float[bits.length];
    for (int i = 0; i < bits.length; i++) {
      values[i] = Floats.bf16ToFloat(bits[i]);
    }
    return values;
  }

  private static int[] asInts(byte[] codes) {
    int[] result = new int[codes.length];
    for (int i = 0; i < codes.length; i++) {
      result[i] = codes[i] & 0xFF;
    }
    return result;
  }

  private static int bf16Bits(float value) {
    return Floats.floatToBf16(value) & 0xFFFF;
  }

  @Test
  void normalGroupThreeBits() {
    float[] group = bf16Values(NORMAL_GROUP_BF16);
    QuantizedTensor q = new AffineQuantizer(3, 32).quantize(group, new long[] {1, 32}, DType.BF16);
    assertThat(bf16Bits(q.scales()[0])).isEqualTo(0x3C3E);
    assertThat(bf16Bits(q.biases()[0])).isEqualTo(0xBD3E);
    assertThat(q.biases()[0]).as("bias is the minimum, the edge").isEqualTo(-0.04638672f);
    assertThat(asInts(q.codes()))
        .containsExactly(
            4, 4, 5, 4, 3, 5, 6, 6, 3, 2, 3, 4, 0, 4, 2, 3, 3, 3, 5, 6, 4, 6, 3, 5, 6, 4, 3, 2, 3,
            4, 2, 4);
    assertThat(q.words()).containsExactly(0xD3DAB964, 0x4D5B6A08, 0x8A34E6AF);
  }

  @Test
  void normalGroupFourBits() {
    float[] group = bf16Values(NORMAL_GROUP_BF16);
    QuantizedTensor q = new AffineQuantizer(4, 32).quantize(group, new long[] {1, 32}, DType.BF16);
    assertThat(bf16Bits(q.scales()[0])).isEqualTo(0x3BA9);
    assertThat(bf16Bits(q.biases()[0])).isEqualTo(0xBD3E);
    assertThat(q.words()).containsExactly(0xDEA79B89, 0x64809746, 0xA6E9DB87, 0x85A7569D);
  }

  @Test
  void positiveEdgeFlipsScaleSign() {
    // 0..31 at 3 bits: |min| = 0 < |max| = 31, so the scale is -31/7 and the bias is 31.
    float[] ramp = new float[32];
    for (int i = 0; i < 32; i++) {
      ramp[i] = i;
    }
    QuantizedTensor q = new AffineQuantizer(3, 32).quantize(ramp, new long[] {1, 32}, DType.F32);
    assertThat(q.scales()[0]).isEqualTo(31f / -7f);
    assertThat(q.biases()[0]).isEqualTo(31f);
    assertThat(asInts(q.codes()))
        .containsExactly(
            7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1,
            0, 0, 0);
    QuantizedTensor bf16 =
        new AffineQuantizer(3, 32).quantize(ramp, new long[] {1, 32}, DType.BF16);
    assertThat(bf16Bits(bf16.scales()[0])).as("-4.428571 rounded to bf16").isEqualTo(0xC08E);
  }

  @Test
  void matchesNumpyGolden() throws IOException {
    JsonNode golden = readGolden();
    JsonNode inputs = golden.get("inputs_bf16");
    int columns = inputs.get(0).size();
    float[] values = new float[inputs.size() * columns];
    for (int row = 0; row < inputs.size(); row++) {
      for (int i = 0; i < columns; i++) {
        values[row * columns + i] = Floats.bf16ToFloat(inputs.get(row).get(i).asInt());
      }
    }
    long[] shape = {inputs.size(), columns};
    assertThat(golden.get("cases")).hasSize(18);
    for (JsonNode c : golden.get("cases")) {
      int bits = c.get("bits").asInt();
      int groupSize = c.get("group_size").asInt();
      String label = bits + " bits, group size " + groupSize;
      QuantizedTensor q = new AffineQuantizer(bits, groupSize).quantize(values, shape, DType.BF16);
      int wordsPerRow = columns * bits / 32;
      for (int row = 0; row < inputs.size(); row++) {
        for (int w = 0; w < wordsPerRow; w++) {
          assertThat(q.words()[row * wordsPerRow + w] & 0xFFFFFFFFL)
              .as("%s, row %d, word %d", label, row, w)
              .isEqualTo(c.get("words").get(row).get(w).asLong());
        }
      }
      for (int g = 0; g < q.scales().length; g++) {
        assertThat(bf16Bits(q.scales()[g]))
            .as("%s, scale %d", label, g)
            .isEqualTo(c.get("scales_bf16").get(g).asInt());
        assertThat(bf16Bits(q.biases()[g]))
            .as("%s, bias %d", label, g)
            .isEqualTo(c.get("biases_bf16").get(g).asInt());
      }
    }
  }

  private static JsonNode readGolden() throws IOException {
    try (InputStream in =
        AffineQuantizerTest.class.getResourceAsStream("/quant/affine-golden.json")) {
      assertThat(in).as("test resource quant/affine-golden.json").isNotNull();
      return new ObjectMapper().readTree(in);
    }
  }

  @Test
  void allZeroGroupUsesEpsScale() {
    QuantizedTensor q =
        new AffineQuantizer(4, 32).quantize(new float[32], new long[] {1, 32}, DType.F32);
    assertThat(q.scales()[0]).isEqualTo(-1e-7f);
    assertThat(Float.floatToRawIntBits(q.biases()[0])).as("bias is +0").isZero();
    assertThat(asInts(q.codes())).containsOnly(0);
    assertThat(q.dequantize()).containsOnly(0f);
  }

  @Test
  void exactTieRoundsToEven() {
    // edge 1, min -0.625 at 3 bits: q0 = rint(-4.31) = -4, scale -0.25, and the minimum maps to
    // (-0.625 - 1) / -0.25 = 6.5, which rounds to 6 (half to even), not 7.
    float[] group = new float[32];
    group[0] = 1f;
    group[1] = -0.625f;
    QuantizedTensor q = new AffineQuantizer(3, 32).quantize(group, new long[] {1, 32}, DType.BF16);
    assertThat(q.scales()[0]).isEqualTo(-0.25f);
    assertThat(q.biases()[0]).isEqualTo(1f);
    assertThat(asInts(q.codes())[0]).isEqualTo(0);
    assertThat(asInts(q.codes())[1]).isEqualTo(6);
    assertThat(asInts(q.codes())[2]).as("zero sits exactly on code -q0").isEqualTo(4);
  }

  @Test
  void requantizingIsNotIdempotentWhenTopCodeIsUnused() {
    // The group above uses codes 0..6 only, so its dequantized range is [-0.5, 1] and quantizing
    // that again picks q0 = -5 and scale -0.2: the codes change. MLX behaves the same way, so
    // idempotence only holds for groups that use both code 0 and the top code.
    float[] group = new float[32];
    group[0] = 1f;
    group[1] = -0.625f;
    AffineQuantizer quantizer = new AffineQuantizer(3, 32);
    float[] once = quantizer.fakeQuantize(group, new long[] {1, 32}, DType.BF16);
    assertThat(once[1]).isEqualTo(-0.5f);
    QuantizedTensor again = quantizer.quantize(once, new long[] {1, 32}, DType.BF16);
    assertThat(again.scales()[0]).isEqualTo(Floats.roundToBf16(-0.2f));
    assertThat(asInts(again.codes())[1]).isEqualTo(7);
    assertThat(asInts(again.codes())[2]).isEqualTo(5);
  }

  @Test
  void rejectsUnsupportedBitsAndGroupSizes() {
    assertThatThrownBy(() -> new AffineQuantizer(7, 64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "bits: 7 bits is not supported by MLX affine quantization; use one of [2, 3, 4, 5, 6,"
                + " 8]");
    assertThatThrownBy(() -> new AffineQuantizer(4, 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "group_size: group size 16 is not supported by MLX affine quantization; use one of"
                + " [32, 64, 128]");
  }

  @Test
  void rejectsFloatingPointModes() {
    for (QuantMode mode : new QuantMode[] {QuantMode.MXFP4, QuantMode.NVFP4, QuantMode.MXFP8}) {
      assertThatThrownBy(() -> AffineQuantizer.forMode(mode, 4, 32))
          .isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("Quantization mode " + mode.configName() + " is not supported")
          .hasMessageContaining("affine");
    }
    assertThat(AffineQuantizer.forMode(QuantMode.AFFINE, 4, 64).bits()).isEqualTo(4);
  }

  @Test
  void rejectsBadShapes() {
    AffineQuantizer quantizer = new AffineQuantizer(4, 64);
    assertThatThrownBy(() -> quantizer.quantize(new float[96], new long[] {1, 96}, DType.BF16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rows of 96 values with group size 64");
    assertThatThrownBy(() -> quantizer.quantize(new float[64], new long[] {64}, DType.BF16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shape [64]")
        .hasMessageContaining("rank 2 or more");
    assertThatThrownBy(() -> quantizer.quantize(new float[64], new long[] {2, 64}, DType.BF16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shape [2, 64] has 128 elements but 64 values were given");
    assertThatThrownBy(() -> quantizer.quantize(new float[64], new long[] {1, 64}, DType.U8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot store scales and biases as U8");
  }
}
