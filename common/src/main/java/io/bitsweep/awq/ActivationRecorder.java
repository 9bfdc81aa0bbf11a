package io.bitsweep.awq;

import io.bitsweep.model.WeightSource;
import io.bitsweep.safetensors.TensorInfo;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A weight source that records, for AWQ, the inputs of the linear projections the forward pass runs
 * through it (all but the output head, see {@link WeightSource#observeInput}). It reads weights
 * from a base source unchanged, and {@link #observeInput} accumulates per tensor the per-channel
 * sums of {@code |x|} and {@code x²}, the token count, and a reservoir sample of at most {@code
 * maxSampleRows} input rows. {@link #snapshot()} returns the result as {@link ActivationStats}.
 *
 * <p>Tensors that read the same input (q, k and v; gate and up; the four DeltaNet input
 * projections) share one accumulator, so their sample is stored once. A tensor joins the
 * accumulator of the tensor observed just before it when it receives the same array, with the same
 * shape and contents. Recording is deterministic: the same model, token batches and batch order
 * give the same statistics.
 */
public final class ActivationRecorder implements WeightSource {
  /** Default bound on the sampled input rows per distinct input. */
  public static final int DEFAULT_MAX_SAMPLE_ROWS = 256;

  private final WeightSource base;
  private final int maxSampleRows;
  private final Map<String, InputAccumulator> byTensor = new LinkedHashMap<>();
  private Observation latest;

  /** The latest accumulated input, to recognise the next tensor reading the same array. */
  private record Observation(
      float[] x, int rows, int cols, long contentHash, InputAccumulator accumulator) {}

  /** Records with {@link #DEFAULT_MAX_SAMPLE_ROWS}. */
  public ActivationRecorder(WeightSource base) {
    this(base, DEFAULT_MAX_SAMPLE_ROWS);
  }

  /**
   * Wraps a base source.
   *
   * @param maxSampleRows the most input rows kept per distinct input; 0 keeps none
   */
  public ActivationRecorder(WeightSource base, int maxSampleRows) {
    if (maxSampleRows < 0) {
      throw new IllegalArgumentException(
          "maxSampleRows: expected 0 or more, found " + maxSampleRows);
    }
    this.base = base;
    this.maxSampleRows = maxSampleRows;
  }

  @Override
  public TensorInfo info(String name) {
    return base.info(name);
  }

  @Override
  public boolean contains(String name) {
    return base.contains(name);
  }

  @Override
  public float[] read(String name) {
    return base.read(name);
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    base.readRows(name, firstRow, rowCount, dst, dstOffset);
  }

  @Override
  public synchronized void observeInput(String tensorName, float[] x, int rows, int cols) {
    checkShape(tensorName, x, rows, cols);
    if (rows == 0) {
      return;
    }
    InputAccumulator existing = byTensor.get(tensorName);
    if (latest != null
        && (existing == null || existing == latest.accumulator())
        && !latest.accumulator().seenLatest.contains(tensorName)
        && sameInput(x, rows, cols)) {
      join(tensorName, latest.accumulator());
      byTensor.put(tensorName, latest.accumulator());
      return;
    }
    InputAccumulator accumulator = existing;
    if (accumulator == null) {
      accumulator = new InputAccumulator(cols, maxSampleRows);
      join(tensorName, accumulator);
      byTensor.put(tensorName, accumulator);
    }
    checkComplete(tensorName, accumulator, cols);
    accumulator.add(x, rows);
    accumulator.seenLatest.clear();
    accumulator.seenLatest.add(tensorName);
    latest = new Observation(x, rows, cols, contentHash(x, rows * cols), accumulator);
  }

  private boolean sameInput(float[] x, int rows, int cols) {
    return latest.x() == x
        && latest.rows() == rows
        && latest.cols() == cols
        && latest.contentHash() == contentHash(x, rows * cols);
  }

  private static void join(String tensorName, InputAccumulator accumulator) {
    accumulator.members.add(tensorName);
    accumulator.seenLatest.add(tensorName);
  }

  /**
   * Checks that every tensor sharing the accumulator received its previous input, because a new
   * input added for one member is counted for all of them.
   */
  private static void checkComplete(String tensorName, InputAccumulator accumulator, int cols) {
    if (accumulator.columns() != cols) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot record the input of %s: expected %d channels as before, found %d",
              tensorName,
              accumulator.columns(),
              cols));
    }
    if (!accumulator.seenLatest.equals(accumulator.members)) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Cannot record the input of %s: it shares its statistics with %s, but %s did not"
                  + " receive the previous input; record these tensors with separate recorders",
              tensorName,
              accumulator.members,
              missing(accumulator)));
    }
  }

  private static Set<String> missing(InputAccumulator accumulator) {
    Set<String> missing = new LinkedHashSet<>(accumulator.members);
    missing.removeAll(accumulator.seenLatest);
    return missing;
  }

  private static void checkShape(String tensorName, float[] x, int rows, int cols) {
    if (rows < 0 || cols <= 0 || (long) rows * cols > x.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot record the input of %s: %d rows of %d channels do not fit in %d values",
              tensorName,
              rows,
              cols,
              x.length));
    }
  }

  /** Returns a 64-bit hash of the bit patterns of the first {@code count} values. */
  private static long contentHash(float[] x, int count) {
    long hash = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < count; i++) {
      hash = (hash ^ Float.floatToRawIntBits(x[i])) * 0x100000001B3L;
    }
    return hash;
  }

  /**
   * Returns the statistics recorded so far.
   *
   * @throws IllegalStateException when a tensor that shares an input with others missed the latest
   *     one (the forward pass stopped between them)
   */
  public synchronized ActivationStats snapshot() {
    Map<InputAccumulator, ActivationStats.TensorStats> shared = new IdentityHashMap<>();
    Map<String, ActivationStats.TensorStats> rows = new HashMap<>();
    for (Map.Entry<String, InputAccumulator> entry : byTensor.entrySet()) {
      InputAccumulator accumulator = entry.getValue();
      if (!accumulator.seenLatest.equals(accumulator.members)) {
        throw new IllegalStateException(
            "Cannot take activation statistics: "
                + missing(accumulator)
                + " did not receive the latest input shared with "
                + accumulator.members
                + "; finish the forward pass before taking the statistics");
      }
      ActivationStats.TensorStats first =
          shared.computeIfAbsent(accumulator, a -> a.snapshot(entry.getKey()));
      rows.put(entry.getKey(), first.renamed(entry.getKey()));
    }
    return ActivationStats.fromRows(rows.values());
  }

  /** Returns the number of distinct inputs recorded, for logs and tests. */
  public synchronized int distinctInputCount() {
    return (int) byTensor.values().stream().distinct().count();
  }
}
