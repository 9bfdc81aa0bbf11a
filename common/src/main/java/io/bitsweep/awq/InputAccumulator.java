package io.bitsweep.awq;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Running statistics of one distinct projection input: per-channel sums of {@code |x|} and {@code
 * x²} in double, the row count, and a reservoir sample of rows (Vitter's algorithm R with a fixed
 * seed, so the same sequence of inputs always keeps the same rows). Several tensors that read the
 * same input share one accumulator. Not thread-safe; {@link ActivationRecorder} synchronizes.
 */
final class InputAccumulator {
  /** Seed of the reservoir's generator; fixed so that recordings are reproducible. */
  private static final long SEED = 0x5EED_A3B1_C0DEL;

  private final int columns;
  private final int maxSampleRows;
  private final double[] sumAbs;
  private final double[] sumSquare;
  private final SplittableRandom random = new SplittableRandom(SEED);
  private float[] samples = new float[0];
  private int sampleCount;
  private long rowCount;

  /** Tensors that share this accumulator. */
  final Set<String> members = new LinkedHashSet<>();

  /** Members that have been given the latest input; equal to {@link #members} between inputs. */
  final Set<String> seenLatest = new LinkedHashSet<>();

  InputAccumulator(int columns, int maxSampleRows) {
    this.columns = columns;
    this.maxSampleRows = maxSampleRows;
    this.sumAbs = new double[columns];
    this.sumSquare = new double[columns];
  }

  int columns() {
    return columns;
  }

  /** Adds the first {@code rows} rows of {@code x}. */
  void add(float[] x, int rows) {
    for (int r = 0; r < rows; r++) {
      int offset = r * columns;
      for (int c = 0; c < columns; c++) {
        double v = x[offset + c];
        sumAbs[c] += Math.abs(v);
        sumSquare[c] += v * v;
      }
      sample(x, offset);
      rowCount++;
    }
  }

  private void sample(float[] x, int offset) {
    int slot;
    if (sampleCount < maxSampleRows) {
      slot = sampleCount++;
      if (samples.length < sampleCount * columns) {
        int capacity = Math.min(maxSampleRows, Math.max(16, 2 * sampleCount));
        samples = Arrays.copyOf(samples, capacity * columns);
      }
    } else {
      long pick = random.nextLong(rowCount + 1);
      if (pick >= maxSampleRows) {
        return;
      }
      slot = (int) pick;
    }
    System.arraycopy(x, offset, samples, slot * columns, columns);
  }

  long rowCount() {
    return rowCount;
  }

  /** Returns the statistics so far under {@code tensor}. */
  ActivationStats.TensorStats snapshot(String tensor) {
    float[] meanAbs = new float[columns];
    float[] meanSquare = new float[columns];
    for (int c = 0; c < columns; c++) {
      meanAbs[c] = (float) (sumAbs[c] / rowCount);
      meanSquare[c] = (float) (sumSquare[c] / rowCount);
    }
    return new ActivationStats.TensorStats(
        tensor, meanAbs, meanSquare, rowCount, Arrays.copyOf(samples, sampleCount * columns));
  }
}
