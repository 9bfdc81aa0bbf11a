package io.bitsweep.calibration;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tokenized calibration mix of one model: the samples in input order, each with its shard, and
 * counts per category. Samples that score no position are left out and listed by id.
 */
public final class CalibrationSet {
  private final List<ShardedSample> samples;
  private final int shardCount;
  private final Map<String, CategoryStats> categories;
  private final List<String> zeroScoredIds;

  CalibrationSet(
      List<ShardedSample> samples,
      int shardCount,
      Map<String, CategoryStats> categories,
      List<String> zeroScoredIds) {
    this.samples = List.copyOf(samples);
    this.shardCount = shardCount;
    this.categories = Collections.unmodifiableMap(new TreeMap<>(categories));
    this.zeroScoredIds = List.copyOf(zeroScoredIds);
  }

  /** Returns every kept sample with its shard, in the order of the inputs. */
  public List<ShardedSample> samples() {
    return samples;
  }

  /** Returns the number of shards. */
  public int shardCount() {
    return shardCount;
  }

  /** Returns the samples of one shard, in input order. */
  public List<TokenizedSample> shard(int index) {
    if (index < 0 || index >= shardCount) {
      throw new IndexOutOfBoundsException(
          "shard " + index + " does not exist; shards are 0 to " + (shardCount - 1));
    }
    List<TokenizedSample> shard = new ArrayList<>();
    for (ShardedSample sample : samples) {
      if (sample.shard() == index) {
        shard.add(sample.sample());
      }
    }
    return shard;
  }

  /** Returns the counts per category, sorted by category. */
  public Map<String, CategoryStats> categories() {
    return categories;
  }

  /** Returns the counts over all categories. */
  public CategoryStats total() {
    return categories.values().stream().reduce(CategoryStats.EMPTY, CategoryStats::plus);
  }

  /** Returns the ids of the samples left out because they score no position. */
  public List<String> zeroScoredIds() {
    return zeroScoredIds;
  }
}
