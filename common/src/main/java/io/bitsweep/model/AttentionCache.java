package io.bitsweep.model;

import java.util.Arrays;

/**
 * Keys and values of one full-attention layer for one sequence, after the k norm and RoPE: {@code
 * [length, num_key_value_heads · head_dim]} each, grown by doubling.
 */
final class AttentionCache {
  private final int width;
  private float[] keys = new float[0];
  private float[] values = new float[0];
  private int length;

  AttentionCache(int width) {
    this.width = width;
  }

  int length() {
    return length;
  }

  float[] keys() {
    return keys;
  }

  float[] values() {
    return values;
  }

  /** Appends {@code rows} rows of k and v starting at row {@code fromRow}. */
  void append(float[] k, float[] v, int fromRow, int rows) {
    int needed = (length + rows) * width;
    if (needed > keys.length) {
      int capacity = Math.max(needed, Math.max(16 * width, keys.length * 2));
      keys = Arrays.copyOf(keys, capacity);
      values = Arrays.copyOf(values, capacity);
    }
    System.arraycopy(k, fromRow * width, keys, length * width, rows * width);
    System.arraycopy(v, fromRow * width, values, length * width, rows * width);
    length += rows;
  }

  AttentionCache copy() {
    AttentionCache copy = new AttentionCache(width);
    copy.keys = keys.clone();
    copy.values = values.clone();
    copy.length = length;
    return copy;
  }
}
