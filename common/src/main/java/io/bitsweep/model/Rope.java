package io.bitsweep.model;

/**
 * Rotary position embedding in the rotate-half (NeoX) layout on the first {@code R} dims of each
 * head: for {@code i < R/2}, the pair {@code (x[i], x[i + R/2])} is rotated by {@code position ·
 * θ^(-2i/R)}. Dims {@code R..D-1} pass through. Angles are computed in double precision.
 */
final class Rope {
  private final int rotaryDim;
  private final float[] cos; // [positions, R/2]
  private final float[] sin;

  /** Builds the tables for positions {@code 0..maxPosition}. */
  Rope(double theta, int rotaryDim, int maxPosition) {
    this.rotaryDim = rotaryDim;
    int half = rotaryDim / 2;
    double[] inverseFrequency = new double[half];
    for (int i = 0; i < half; i++) {
      inverseFrequency[i] = Math.pow(theta, -2.0 * i / rotaryDim);
    }
    int positions = maxPosition + 1;
    cos = new float[positions * half];
    sin = new float[positions * half];
    for (int p = 0; p < positions; p++) {
      for (int i = 0; i < half; i++) {
        double angle = p * inverseFrequency[i];
        cos[p * half + i] = (float) Math.cos(angle);
        sin[p * half + i] = (float) Math.sin(angle);
      }
    }
  }

  /** Rotates the head of {@code headDim} values at {@code x[offset]} for {@code position}. */
  void rotate(float[] x, int offset, int position) {
    int half = rotaryDim / 2;
    int table = position * half;
    for (int i = 0; i < half; i++) {
      float a = x[offset + i];
      float b = x[offset + i + half];
      float c = cos[table + i];
      float s = sin[table + i];
      x[offset + i] = a * c - b * s;
      x[offset + i + half] = b * c + a * s;
    }
  }
}
