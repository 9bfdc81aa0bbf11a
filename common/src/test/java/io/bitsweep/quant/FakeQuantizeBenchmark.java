package io.bitsweep.quant;

import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.util.Locale;
import java.util.Random;

/**
 * Measures fake quantization throughput on a 4096 x 4096 bf16 matrix for every bit width. Run by
 * hand (not a unit test): {@code java -cp common/target/classes:common/target/test-classes
 * io.bitsweep.quant.FakeQuantizeBenchmark}.
 */
public final class FakeQuantizeBenchmark {
  private FakeQuantizeBenchmark() {}

  public static void main(String[] args) {
    int rows = 4096;
    int columns = 4096;
    Random random = new Random(1);
    float[] values = new float[rows * columns];
    for (int i = 0; i < values.length; i++) {
      values[i] = Floats.roundToBf16((float) (0.02 * random.nextGaussian()));
    }
    long[] shape = {rows, columns};
    for (int bits : AffineQuantizer.SUPPORTED_BITS) {
      AffineQuantizer quantizer = new AffineQuantizer(bits, 64);
      double best = Double.MAX_VALUE;
      for (int repeat = 0; repeat < 5; repeat++) {
        long start = System.nanoTime();
        float[] out = quantizer.fakeQuantize(values, shape, DType.BF16);
        best = Math.min(best, (System.nanoTime() - start) / 1e9);
        if (out[0] == 12345f) {
          System.out.println("unreachable");
        }
      }
      System.out.printf(
          Locale.ROOT,
          "fake quantize %d bits gs64 %dx%d: %.1f ms, %.2f ns/element, %d threads%n",
          bits,
          rows,
          columns,
          best * 1e3,
          best * 1e9 / values.length,
          Runtime.getRuntime().availableProcessors());
    }
    AffineQuantizer quantizer = new AffineQuantizer(4, 64);
    float[] out = new float[values.length];
    double best = Double.MAX_VALUE;
    for (int repeat = 0; repeat < 5; repeat++) {
      long start = System.nanoTime();
      for (int row = 0; row < rows; row++) {
        quantizer.fakeQuantizeRows(
            values, row * columns, out, row * columns, 1, columns, DType.BF16);
      }
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    System.out.printf(
        Locale.ROOT,
        "fake quantize 4 bits gs64, one thread: %.1f ms, %.2f ns/element%n",
        best * 1e3,
        best * 1e9 / values.length);
  }
}
