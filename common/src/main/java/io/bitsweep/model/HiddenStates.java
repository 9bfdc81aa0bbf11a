package io.bitsweep.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * The residual stream of a batch of token sequences between decoder layers: one row of {@code
 * hidden_size} floats per token, the rows of each sequence contiguous and the sequences one after
 * another. Layers update the rows in place; {@link #copy()} forks the batch so that two weight
 * configurations can continue from the same layer.
 */
public final class HiddenStates {
  private final int hiddenSize;
  private final float[] data; // [tokens, hidden_size]
  private final int[] starts; // first row of each sequence
  private final int[] lengths; // rows of each sequence
  private final int[] positions; // absolute position of each sequence's first row

  HiddenStates(int hiddenSize, int[] lengths, int[] positions) {
    if (lengths.length != positions.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot build hidden states: %d sequence lengths but %d start positions",
              lengths.length,
              positions.length));
    }
    this.hiddenSize = hiddenSize;
    this.lengths = lengths.clone();
    this.positions = positions.clone();
    this.starts = new int[lengths.length];
    long rows = 0;
    for (int s = 0; s < lengths.length; s++) {
      starts[s] = (int) rows;
      rows += lengths[s];
    }
    long size = rows * hiddenSize;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot hold %d tokens x hidden_size %d in one array; split the batch",
              rows,
              hiddenSize));
    }
    this.data = new float[(int) size];
  }

  private HiddenStates(HiddenStates other) {
    this.hiddenSize = other.hiddenSize;
    this.data = other.data.clone();
    this.starts = other.starts;
    this.lengths = other.lengths;
    this.positions = other.positions;
  }

  /** Returns an independent copy of the rows. */
  public HiddenStates copy() {
    return new HiddenStates(this);
  }

  /** Returns the model width H. */
  public int hiddenSize() {
    return hiddenSize;
  }

  /** Returns the number of sequences in the batch. */
  public int sequenceCount() {
    return lengths.length;
  }

  /** Returns the total rows (tokens) over all sequences. */
  public int tokenCount() {
    return data.length / hiddenSize;
  }

  /** Returns the rows of sequence {@code s}. */
  public int length(int s) {
    return lengths[s];
  }

  /** Returns the index of the first row of sequence {@code s}. */
  public int start(int s) {
    return starts[s];
  }

  /** Returns the absolute position (cached tokens) of the first row of sequence {@code s}. */
  public int position(int s) {
    return positions[s];
  }

  /**
   * The rows themselves, {@code [tokenCount, hiddenSize]} row-major. This is the live array, not a
   * copy: layers write it in place.
   */
  public float[] data() {
    return data;
  }

  /** Returns the sequence that row {@code row} belongs to. */
  public int sequenceOf(int row) {
    int index = Arrays.binarySearch(starts, row);
    return index >= 0 ? index : -index - 2;
  }

  /** Copies row {@code row} into a new array. */
  public float[] row(int row) {
    return Arrays.copyOfRange(data, row * hiddenSize, (row + 1) * hiddenSize);
  }
}
