package io.bitsweep.model;

import io.bitsweep.safetensors.TensorInfo;
import java.util.HashMap;
import java.util.Map;

/**
 * A weight source that caches the fp32 tensors it reads whole, until their total size reaches a
 * byte budget. Decoding runs every layer once per new token. Without the cache each step would
 * widen (or dequantize) every weight again, and with it only the first step does. Row reads, such
 * as embedding lookups, use the cached copy when there is one but never load a whole tensor.
 */
final class CachingWeights implements WeightSource {
  private final WeightSource base;
  private final long budgetBytes;
  private final Map<String, float[]> cached = new HashMap<>();
  private long cachedBytes;

  CachingWeights(WeightSource base, long budgetBytes) {
    this.base = base;
    this.budgetBytes = budgetBytes;
  }

  /** Returns half the maximum heap, which leaves the other half to activations and caches. */
  static long defaultBudgetBytes() {
    return Runtime.getRuntime().maxMemory() / 2;
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
  public synchronized float[] read(String name) {
    float[] values = cached.get(name);
    if (values == null) {
      values = base.read(name);
      long bytes = 4L * values.length;
      if (cachedBytes + bytes <= budgetBytes) {
        cached.put(name, values);
        cachedBytes += bytes;
      }
    }
    return values;
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    float[] values;
    synchronized (this) {
      values = cached.get(name);
    }
    if (values == null) {
      base.readRows(name, firstRow, rowCount, dst, dstOffset);
      return;
    }
    long[] shape = base.info(name).shape();
    int rowLength = (int) shape[shape.length - 1];
    System.arraycopy(
        values, Math.toIntExact(firstRow * rowLength), dst, dstOffset, rowCount * rowLength);
  }

  @Override
  public void observeInput(String tensorName, float[] x, int rows, int cols) {
    base.observeInput(tensorName, x, rows, cols);
  }

  /** Returns the bytes of fp32 values cached so far. */
  synchronized long cachedBytes() {
    return cachedBytes;
  }
}
