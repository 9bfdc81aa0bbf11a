package io.bitsweep.awq;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Per-input-channel statistics of the inputs of a model's linear projections, recorded over
 * calibration data by {@link ActivationRecorder}: for each weight tensor, the mean of {@code |x|}
 * and of {@code x²} per input channel, the number of tokens seen, and a bounded subsample of the
 * input rows. AWQ derives its scales from the means and measures output errors on the rows.
 *
 * <p>Immutable. Arrays returned by the accessors are shared, so callers must not modify them.
 * Projections that read the same input (such as q, k and v) may share one {@link TensorStats}
 * instance; each tensor still has its own entry.
 */
public final class ActivationStats {
  /** Statistics with no tensors. */
  public static final ActivationStats EMPTY = new ActivationStats(new TreeMap<>());

  /**
   * The statistics of one tensor's input; also one row of the {@code activation_stats} table.
   *
   * @param tensor the weight tensor's upstream name, such as {@code
   *     model.language_model.layers.3.self_attn.q_proj.weight}
   * @param meanAbs mean of {@code |x|} per input channel, {@code [in_features]}
   * @param meanSquare mean of {@code x²} per input channel, {@code [in_features]}
   * @param tokenCount input rows the means cover
   * @param sampleRows a subsample of the input rows, row-major {@code [rows, in_features]}
   */
  public record TensorStats(
      String tensor, float[] meanAbs, float[] meanSquare, long tokenCount, float[] sampleRows) {
    public TensorStats {
      if (tensor == null || tensor.isEmpty()) {
        throw new IllegalArgumentException("TensorStats.tensor: missing");
      }
      if (meanAbs == null || meanSquare == null || sampleRows == null) {
        throw new IllegalArgumentException(
            "TensorStats of " + tensor + ": mean_abs, mean_sq and sample_rows must be present");
      }
      if (meanAbs.length == 0 || meanAbs.length != meanSquare.length) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "TensorStats of %s: expected mean_abs and mean_sq of equal, nonzero length, found"
                    + " %d and %d",
                tensor,
                meanAbs.length,
                meanSquare.length));
      }
      if (tokenCount <= 0) {
        throw new IllegalArgumentException(
            "TensorStats of " + tensor + ": token_count must be positive, found " + tokenCount);
      }
      if (sampleRows.length % meanAbs.length != 0
          || sampleRows.length / meanAbs.length > tokenCount) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "TensorStats of %s: sample_rows must hold whole rows of %d values and at most"
                    + " token_count (%d) rows, found %d values",
                tensor,
                meanAbs.length,
                tokenCount,
                sampleRows.length));
      }
    }

    /** Returns the number of input channels ({@code in_features}). */
    public int columns() {
      return meanAbs.length;
    }

    /** Returns the number of sampled rows. */
    public int sampleRowCount() {
      return sampleRows.length / meanAbs.length;
    }

    /** The same statistics under another tensor name, sharing the arrays. */
    TensorStats renamed(String name) {
      return new TensorStats(name, meanAbs, meanSquare, tokenCount, sampleRows);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof TensorStats that
          && tensor.equals(that.tensor)
          && tokenCount == that.tokenCount
          && Arrays.equals(meanAbs, that.meanAbs)
          && Arrays.equals(meanSquare, that.meanSquare)
          && Arrays.equals(sampleRows, that.sampleRows);
    }

    @Override
    public int hashCode() {
      return (tensor.hashCode() * 31 + Long.hashCode(tokenCount)) * 31 + Arrays.hashCode(meanAbs);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "TensorStats[%s, %d channels, %d tokens, %d sample rows]",
          tensor,
          columns(),
          tokenCount,
          sampleRowCount());
    }
  }

  private final SortedMap<String, TensorStats> tensors;
  private volatile String fingerprint;

  private ActivationStats(SortedMap<String, TensorStats> tensors) {
    this.tensors = Collections.unmodifiableSortedMap(tensors);
  }

  /**
   * Builds statistics from table rows, in any order.
   *
   * @throws IllegalArgumentException naming a tensor that appears twice
   */
  public static ActivationStats fromRows(Collection<TensorStats> rows) {
    SortedMap<String, TensorStats> map = new TreeMap<>();
    for (TensorStats row : rows) {
      if (map.put(row.tensor(), row) != null) {
        throw new IllegalArgumentException(
            "Cannot build activation statistics: tensor "
                + row.tensor()
                + " appears twice; keep one row per tensor");
      }
    }
    return new ActivationStats(map);
  }

  /**
   * Returns one row per tensor in name order, as the {@code activation_stats} table stores them.
   */
  public List<TensorStats> toRows() {
    return List.copyOf(tensors.values());
  }

  /** Returns the tensor names in sorted order. */
  public List<String> tensorNames() {
    return List.copyOf(tensors.keySet());
  }

  public boolean contains(String tensor) {
    return tensors.containsKey(tensor);
  }

  public boolean isEmpty() {
    return tensors.isEmpty();
  }

  /**
   * Returns one tensor's statistics.
   *
   * @throws IllegalArgumentException naming the tensor when it has no statistics
   */
  public TensorStats get(String tensor) {
    TensorStats stats = tensors.get(tensor);
    if (stats == null) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "No activation statistics for %s (the statistics cover %d tensors); rerun"
                  + " `bitsweep reference` on this model, which records activation statistics",
              tensor,
              tensors.size()));
    }
    return stats;
  }

  /**
   * Merges the statistics of two disjoint sets of calibration tokens, such as two shards. Means are
   * combined weighted by token count. The merged sample takes rows from both sides in proportion to
   * their token counts, evenly spaced within each side, this side's rows first, up to {@code
   * maxSampleRows}. The result depends on the order of the operands, so merge shards in a fixed
   * order (for example by shard index) to get the same statistics on every run.
   */
  public ActivationStats merge(ActivationStats other, int maxSampleRows) {
    if (maxSampleRows < 0) {
      throw new IllegalArgumentException(
          "maxSampleRows: expected 0 or more, found " + maxSampleRows);
    }
    SortedMap<String, TensorStats> merged = new TreeMap<>(tensors);
    for (TensorStats right : other.tensors.values()) {
      TensorStats left = merged.get(right.tensor());
      merged.put(right.tensor(), left == null ? right : mergeTensor(left, right, maxSampleRows));
    }
    return new ActivationStats(merged);
  }

  private static TensorStats mergeTensor(TensorStats a, TensorStats b, int maxSampleRows) {
    if (a.columns() != b.columns()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot merge activation statistics of %s: %d input channels on one side and %d on"
                  + " the other; both must come from the same model",
              a.tensor(),
              a.columns(),
              b.columns()));
    }
    long count = a.tokenCount() + b.tokenCount();
    double wa = (double) a.tokenCount() / count;
    double wb = (double) b.tokenCount() / count;
    float[] meanAbs = new float[a.columns()];
    float[] meanSquare = new float[a.columns()];
    for (int c = 0; c < meanAbs.length; c++) {
      meanAbs[c] = (float) (wa * a.meanAbs()[c] + wb * b.meanAbs()[c]);
      meanSquare[c] = (float) (wa * a.meanSquare()[c] + wb * b.meanSquare()[c]);
    }
    int cap = Math.min(maxSampleRows, a.sampleRowCount() + b.sampleRowCount());
    int fromA = (int) Math.min(a.sampleRowCount(), Math.round(cap * wa));
    int fromB = Math.min(b.sampleRowCount(), cap - fromA);
    fromA = Math.min(a.sampleRowCount(), cap - fromB);
    float[] rows = new float[(fromA + fromB) * a.columns()];
    copySpaced(a, fromA, rows, 0);
    copySpaced(b, fromB, rows, fromA * a.columns());
    return new TensorStats(a.tensor(), meanAbs, meanSquare, count, rows);
  }

  /** Copies {@code k} of the sample rows, at indices {@code floor(i · n / k)}, to {@code dst}. */
  private static void copySpaced(TensorStats stats, int k, float[] dst, int offset) {
    int n = stats.sampleRowCount();
    int columns = stats.columns();
    for (int i = 0; i < k; i++) {
      int row = (int) ((long) i * n / k);
      System.arraycopy(stats.sampleRows(), row * columns, dst, offset + i * columns, columns);
    }
  }

  /**
   * Returns the first 16 hex digits of a SHA-256 over every row, for logs and for checking that two
   * jobs (a sweep and the MLX writer, say) use the same statistics.
   */
  public String fingerprint() {
    String value = fingerprint;
    if (value == null) {
      value = computeFingerprint();
      fingerprint = value;
    }
    return value;
  }

  private String computeFingerprint() {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
    for (TensorStats row : tensors.values()) {
      digest.update(row.tensor().getBytes(StandardCharsets.UTF_8));
      digest.update(ByteBuffer.allocate(8).putLong(row.tokenCount()).array());
      update(digest, row.meanAbs());
      update(digest, row.meanSquare());
      update(digest, row.sampleRows());
    }
    return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
  }

  private static void update(MessageDigest digest, float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    digest.update(buffer.array());
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ActivationStats that && tensors.equals(that.tensors);
  }

  @Override
  public int hashCode() {
    return tensors.hashCode();
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>(tensors.keySet());
    return String.format(
        Locale.ROOT,
        "ActivationStats[%d tensors%s]",
        names.size(),
        names.isEmpty() ? "" : ", first " + names.get(0));
  }
}
