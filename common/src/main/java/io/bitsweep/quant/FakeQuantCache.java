package io.bitsweep.quant;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A thread-safe, memory-bounded cache of fake-quantized tensors, keyed by (base weight source,
 * tensor name, variant, setting), shared by the configurations of a sweep so that those with a
 * common setting for a tensor quantize it once.
 *
 * <p>Eviction is least recently used. A tensor larger than the whole budget is computed and
 * returned but not kept. When several threads request a missing entry at once, one computes it and
 * the others wait for that result. The waiting requests count as hits because they share the work.
 */
public final class FakeQuantCache {
  /**
   * Counters since the cache was created.
   *
   * @param hits requests served from the cache or from another thread's computation
   * @param misses requests that computed the tensor
   * @param evictions entries removed to stay within the budget
   * @param entries entries held now
   * @param bytes bytes held now (4 per fp32 value)
   * @param maxBytes the budget
   */
  public record Stats(
      long hits, long misses, long evictions, int entries, long bytes, long maxBytes) {
    /** Returns hits divided by all requests, or 0 before the first request. */
    public double hitRate() {
      long requests = hits + misses;
      return requests == 0 ? 0 : (double) hits / requests;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d hits, %d misses (%.1f%% hit rate), %d evictions, %d entries, %d of %d bytes",
          hits,
          misses,
          100 * hitRate(),
          evictions,
          entries,
          bytes,
          maxBytes);
    }
  }

  /**
   * The key; the source is compared by identity. The variant distinguishes tensors derived from the
   * same source tensor in different ways (such as AWQ scales), and is empty for the tensor itself.
   */
  private record Key(Object source, String name, String variant, QuantSetting setting) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Key that
          && source == that.source
          && name.equals(that.name)
          && variant.equals(that.variant)
          && setting.equals(that.setting);
    }

    @Override
    public int hashCode() {
      int hash = System.identityHashCode(source) * 31 + name.hashCode();
      return (hash * 31 + variant.hashCode()) * 31 + setting.hashCode();
    }
  }

  private final long maxBytes;
  private final LinkedHashMap<Key, float[]> values = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<Key, CompletableFuture<float[]>> inFlight = new HashMap<>();
  private long bytes;
  private long hits;
  private long misses;
  private long evictions;

  /**
   * Creates a cache that keeps at most {@code maxBytes} bytes of fp32 values.
   *
   * @throws IllegalArgumentException when {@code maxBytes} is negative
   */
  public FakeQuantCache(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException(
          "FakeQuantCache maxBytes: expected 0 or more, found " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /**
   * Returns the cached values for a key, computing them with {@code compute} when missing. Callers
   * must not modify the returned array.
   *
   * @param source the base weight source, compared by identity
   */
  public float[] get(Object source, String name, QuantSetting setting, Supplier<float[]> compute) {
    return get(source, name, "", setting, compute);
  }

  /**
   * Same as {@link #get(Object, String, QuantSetting, Supplier)} for a variant of the tensor, such
   * as its AWQ-scaled form; the variant must identify the values that {@code compute} quantizes.
   */
  public float[] get(
      Object source, String name, String variant, QuantSetting setting, Supplier<float[]> compute) {
    Key key = new Key(source, name, variant, setting);
    CompletableFuture<float[]> pending;
    CompletableFuture<float[]> mine = null;
    synchronized (this) {
      float[] cached = values.get(key);
      if (cached != null) {
        hits++;
        return cached;
      }
      pending = inFlight.get(key);
      if (pending == null) {
        mine = new CompletableFuture<>();
        inFlight.put(key, mine);
        misses++;
      } else {
        hits++;
      }
    }
    return mine == null ? await(pending) : computeAndStore(key, mine, compute);
  }

  /** Returns the cached values for a key without computing or counting, or null. */
  public synchronized float[] peek(Object source, String name, QuantSetting setting) {
    return peek(source, name, "", setting);
  }

  /** Returns the cached values for a variant of a tensor without computing or counting, or null. */
  public synchronized float[] peek(
      Object source, String name, String variant, QuantSetting setting) {
    return values.get(new Key(source, name, variant, setting));
  }

  private float[] computeAndStore(
      Key key, CompletableFuture<float[]> mine, Supplier<float[]> compute) {
    float[] result;
    try {
      result = compute.get();
    } catch (RuntimeException | Error e) {
      synchronized (this) {
        inFlight.remove(key);
      }
      mine.completeExceptionally(e);
      throw e;
    }
    synchronized (this) {
      inFlight.remove(key);
      store(key, result);
    }
    mine.complete(result);
    return result;
  }

  private static float[] await(CompletableFuture<float[]> pending) {
    try {
      return pending.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  private void store(Key key, float[] result) {
    long size = 4L * result.length;
    if (size > maxBytes) {
      return;
    }
    values.put(key, result);
    bytes += size;
    Iterator<Map.Entry<Key, float[]>> eldest = values.entrySet().iterator();
    while (bytes > maxBytes && eldest.hasNext()) {
      Map.Entry<Key, float[]> entry = eldest.next();
      if (entry.getKey().equals(key)) {
        continue;
      }
      bytes -= 4L * entry.getValue().length;
      eldest.remove();
      evictions++;
    }
  }

  /** Drops every entry; counters keep running. */
  public synchronized void clear() {
    values.clear();
    bytes = 0;
  }

  /** Returns the counters and current size. */
  public synchronized Stats stats() {
    return new Stats(hits, misses, evictions, values.size(), bytes, maxBytes);
  }
}
