package io.bitsweep.awq;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Search results shared by every configuration over one model, so that a unit's scales for a given
 * set of settings are searched once. Keyed by the origin weight source and the statistics (both by
 * identity) and a string naming the unit, its readers' settings and any scales applied before it.
 * Thread-safe: when several threads request a missing result, one computes it and the others wait.
 * Results are small (one float per input channel) and kept for the cache's lifetime.
 */
public final class AwqScaleCache {
  private record Key(Object origin, Object stats, String unit) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Key that
          && origin == that.origin
          && stats == that.stats
          && unit.equals(that.unit);
    }

    @Override
    public int hashCode() {
      int hash = System.identityHashCode(origin) * 31 + System.identityHashCode(stats);
      return hash * 31 + unit.hashCode();
    }
  }

  private final AwqSearch.Options options;
  private final ConcurrentHashMap<Key, CompletableFuture<AwqResult>> results =
      new ConcurrentHashMap<>();

  /** Creates a cache whose searches use {@code options}. */
  public AwqScaleCache(AwqSearch.Options options) {
    this.options = options;
  }

  /** Creates a cache whose searches use mlx-lm's defaults. */
  public AwqScaleCache() {
    this(AwqSearch.Options.DEFAULTS);
  }

  /** Returns the options every search of this cache uses. */
  public AwqSearch.Options options() {
    return options;
  }

  /** Returns the cached result, running {@code search} when it is missing. */
  AwqResult get(Object origin, Object stats, String unit, Supplier<AwqResult> search) {
    Key key = new Key(origin, stats, unit);
    CompletableFuture<AwqResult> mine = new CompletableFuture<>();
    CompletableFuture<AwqResult> existing = results.putIfAbsent(key, mine);
    if (existing != null) {
      return await(existing);
    }
    try {
      AwqResult result = search.get();
      mine.complete(result);
      return result;
    } catch (RuntimeException | Error e) {
      results.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  private static AwqResult await(CompletableFuture<AwqResult> pending) {
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

  /** Returns every finished result, for reports. */
  public List<AwqResult> results() {
    List<AwqResult> done = new ArrayList<>();
    for (CompletableFuture<AwqResult> future : results.values()) {
      if (future.isDone() && !future.isCompletedExceptionally()) {
        done.add(future.join());
      }
    }
    return done;
  }

  /** Returns the number of searches started, for tests and logs. */
  public int size() {
    return results.size();
  }
}
