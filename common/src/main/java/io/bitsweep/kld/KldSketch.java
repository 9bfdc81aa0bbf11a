package io.bitsweep.kld;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A mergeable quantile sketch of per-token KLD values: a histogram over fixed logarithmic buckets,
 * stored sparsely (only non-empty buckets).
 *
 * <p>Values are rounded to units of 2^-30 nats. Below 2048 units each unit has its own bucket.
 * Above, each power-of-two range [2^e, 2^(e+1)) is split into 1024 equal buckets, the layout
 * HdrHistogram uses for 3 significant decimal digits. The layout never changes, so merging only
 * adds integer counts per bucket, and the result (its quantiles and its bytes) is the same in any
 * merge order and any partitioning.
 *
 * <p>Precision: a reported quantile differs from the exact nearest-rank quantile of the recorded
 * values by at most {@link #RELATIVE_PRECISION} of its value plus {@link #UNIT_NATS}. Values of
 * {@link #MAX_TRACKED_NATS} and above land in the last bucket.
 *
 * <p>Recording appends a bucket index to a buffer in O(1). The buffer is sorted into the sparse
 * buckets when the sketch is merged, queried or encoded, so merging is linear in the number of
 * non-empty buckets. A sketch with more than {@value #DENSE_THRESHOLD} non-empty buckets (a
 * combined one) switches to one counter per bucket, so that merging a sample into it costs only
 * that sample's buckets. Not thread-safe.
 */
public final class KldSketch {
  /** The resolution of the sketch in nats: values are rounded to a multiple of 2^-30. */
  public static final double UNIT_NATS = 0x1.0p-30;

  /** The end of the tracked range, 2^20 nats. Larger values are recorded in the last bucket. */
  public static final double MAX_TRACKED_NATS = 0x1.0p20;

  /** The error bound relative to the value: half the largest relative bucket width of 1/1024. */
  public static final double RELATIVE_PRECISION = 0x1.0p-11;

  private static final int HALF_SUB_BUCKETS = 1024;
  private static final int EXACT_UNITS = 2 * HALF_SUB_BUCKETS;
  private static final long MAX_UNITS = (1L << 50) - 1;
  private static final int BUCKET_COUNT = bucketOf(MAX_UNITS) + 1;
  private static final byte FORMAT_VERSION = 1;
  private static final int DENSE_THRESHOLD = 4096;

  /** Sorted non-empty buckets and their counts, or null once the sketch is dense. */
  private int[] buckets = new int[0];

  private long[] counts = new long[0];

  /** The count of every bucket, or null while the sketch is sparse. */
  private long[] dense;

  private int[] pending = new int[16];
  private int pendingSize;
  private long total;

  /** Creates an empty sketch. */
  public KldSketch() {}

  /** Records one per-token KLD in nats. */
  public void record(double kld) {
    if (!(kld >= 0) || kld == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(
          "Cannot record KLD " + kld + " in the sketch: expected a finite value >= 0");
    }
    if (pendingSize == pending.length) {
      pending = Arrays.copyOf(pending, 2 * pending.length);
    }
    pending[pendingSize++] = bucketOf(Math.min(Math.round(kld / UNIT_NATS), MAX_UNITS));
    total++;
  }

  /** Adds every value recorded in {@code other} to this sketch, exactly and in any order. */
  public void merge(KldSketch other) {
    flushPending();
    other.flushPending();
    if (other.dense == null) {
      mergeBuckets(other.buckets, other.counts);
    } else {
      Sparse sparse = other.sparse();
      mergeBuckets(sparse.buckets(), sparse.counts());
    }
    total += other.total;
  }

  /** Returns the number of recorded values. */
  public long count() {
    return total;
  }

  /**
   * Returns the nearest-rank quantile: the smallest recorded value with at least {@code
   * ceil(fraction * count)} values at or below it (at least the first), reported as the midpoint of
   * its bucket.
   *
   * @param fraction the quantile in [0, 1], for example 0.999 for p99.9
   */
  public double quantile(double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException(
          "Invalid quantile " + fraction + ": expected a fraction in [0, 1]");
    }
    if (total == 0) {
      throw new IllegalStateException("Cannot take a quantile of an empty KLD sketch");
    }
    flushPending();
    // A few ulps of slack keep rounding in the fraction from moving the rank: 99.9 / 100 is
    // 0.9990000000000001, and 12000 times it must still be rank 11988.
    double position = fraction * total;
    long rank = Math.max(1, (long) Math.ceil(position - 4 * Math.ulp(position)));
    Sparse sparse = sparse();
    long seen = 0;
    int i = 0;
    while (seen + sparse.counts()[i] < rank) {
      seen += sparse.counts()[i];
      i++;
    }
    return midpointUnits(sparse.buckets()[i]) * UNIT_NATS;
  }

  /**
   * Encodes the sketch for a binary table column: a version byte, the number of non-empty buckets,
   * then per bucket the distance from the previous bucket index and the count, all as unsigned
   * LEB128 varints. Equal sketches give equal bytes.
   */
  public byte[] toBytes() {
    Sparse sparse = sparse();
    int[] nonEmpty = sparse.buckets();
    ByteArrayOutputStream out = new ByteArrayOutputStream(8 + 3 * nonEmpty.length);
    out.write(FORMAT_VERSION);
    writeVarint(out, nonEmpty.length);
    int previous = 0;
    for (int i = 0; i < nonEmpty.length; i++) {
      writeVarint(out, nonEmpty[i] - previous);
      writeVarint(out, sparse.counts()[i]);
      previous = nonEmpty[i];
    }
    return out.toByteArray();
  }

  /**
   * Decodes bytes written by {@link #toBytes()}.
   *
   * @throws IllegalArgumentException if the bytes are truncated, out of range, have trailing data
   *     or another format version
   */
  public static KldSketch fromBytes(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      byte version = in.get();
      if (version != FORMAT_VERSION) {
        throw new IllegalArgumentException(
            "Cannot decode KLD sketch: format version "
                + version
                + ", expected "
                + FORMAT_VERSION
                + ". Recompute the results with this version of bitsweep");
      }
      long size = readVarint(in);
      if (size > BUCKET_COUNT) {
        throw new IllegalArgumentException(
            "Cannot decode KLD sketch: " + size + " buckets, expected at most " + BUCKET_COUNT);
      }
      KldSketch sketch = new KldSketch();
      sketch.buckets = new int[(int) size];
      sketch.counts = new long[(int) size];
      long bucket = -1;
      for (int i = 0; i < size; i++) {
        bucket = (i == 0 ? 0 : bucket) + readVarint(in);
        long count = readVarint(in);
        checkBucket(i, bucket, i == 0 ? -1 : sketch.buckets[i - 1], count);
        sketch.buckets[i] = (int) bucket;
        sketch.counts[i] = count;
        sketch.total += count;
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(
            "Cannot decode KLD sketch: " + in.remaining() + " bytes left after the last bucket");
      }
      return sketch;
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException(
          "Cannot decode KLD sketch: " + bytes.length + " bytes end inside a bucket", e);
    }
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof KldSketch that)) {
      return false;
    }
    Sparse mine = sparse();
    Sparse theirs = that.sparse();
    return total == that.total
        && Arrays.equals(mine.buckets(), theirs.buckets())
        && Arrays.equals(mine.counts(), theirs.counts());
  }

  @Override
  public int hashCode() {
    Sparse sparse = sparse();
    return 31 * Arrays.hashCode(sparse.buckets()) + Arrays.hashCode(sparse.counts());
  }

  /** Returns whether the sketch keeps one counter per bucket instead of sparse buckets. */
  boolean isDense() {
    flushPending();
    return dense != null;
  }

  @Override
  public String toString() {
    return "KldSketch[count=" + total + "]";
  }

  /** Returns the bucket of a value in units: exact below 2048, then 1024 buckets per octave. */
  static int bucketOf(long units) {
    if (units < EXACT_UNITS) {
      return (int) units;
    }
    int shift = 63 - Long.numberOfLeadingZeros(units) - 10;
    return shift * HALF_SUB_BUCKETS + (int) (units >>> shift);
  }

  /** Returns the midpoint of a bucket's integer values, in units. */
  static double midpointUnits(int bucket) {
    if (bucket < EXACT_UNITS) {
      return bucket;
    }
    int shift = bucket / HALF_SUB_BUCKETS - 1;
    long lowest = (long) (bucket - shift * HALF_SUB_BUCKETS) << shift;
    return lowest + ((1L << shift) - 1) / 2.0;
  }

  /** Sorts the recorded bucket indices, counts runs and merges them into the sparse buckets. */
  private void flushPending() {
    if (pendingSize == 0) {
      return;
    }
    Arrays.sort(pending, 0, pendingSize);
    int[] runBuckets = new int[pendingSize];
    long[] runCounts = new long[pendingSize];
    int runs = 0;
    for (int i = 0; i < pendingSize; i++) {
      if (runs > 0 && runBuckets[runs - 1] == pending[i]) {
        runCounts[runs - 1]++;
      } else {
        runBuckets[runs] = pending[i];
        runCounts[runs] = 1;
        runs++;
      }
    }
    pendingSize = 0;
    mergeBuckets(Arrays.copyOf(runBuckets, runs), Arrays.copyOf(runCounts, runs));
  }

  /** The non-empty buckets in ascending order and their counts. */
  private record Sparse(int[] buckets, long[] counts) {}

  /** Returns the non-empty buckets after flushing the buffer, copied out if the sketch is dense. */
  private Sparse sparse() {
    flushPending();
    if (dense == null) {
      return new Sparse(buckets, counts);
    }
    int size = 0;
    for (long count : dense) {
      size += count > 0 ? 1 : 0;
    }
    int[] nonEmpty = new int[size];
    long[] nonEmptyCounts = new long[size];
    int next = 0;
    for (int bucket = 0; bucket < dense.length; bucket++) {
      if (dense[bucket] > 0) {
        nonEmpty[next] = bucket;
        nonEmptyCounts[next++] = dense[bucket];
      }
    }
    return new Sparse(nonEmpty, nonEmptyCounts);
  }

  /** Merges sorted sparse buckets into this sketch's, adding counts of equal buckets. */
  private void mergeBuckets(int[] otherBuckets, long[] otherCounts) {
    if (dense == null && buckets.length + otherBuckets.length > DENSE_THRESHOLD) {
      dense = new long[BUCKET_COUNT];
      for (int i = 0; i < buckets.length; i++) {
        dense[buckets[i]] = counts[i];
      }
      buckets = null;
      counts = null;
    }
    if (dense != null) {
      for (int j = 0; j < otherBuckets.length; j++) {
        dense[otherBuckets[j]] += otherCounts[j];
      }
      return;
    }
    int[] mergedBuckets = new int[buckets.length + otherBuckets.length];
    long[] mergedCounts = new long[mergedBuckets.length];
    int i = 0;
    int j = 0;
    int size = 0;
    while (i < buckets.length || j < otherBuckets.length) {
      int next;
      if (j == otherBuckets.length || (i < buckets.length && buckets[i] < otherBuckets[j])) {
        next = buckets[i];
        mergedCounts[size] = counts[i++];
      } else if (i == buckets.length || otherBuckets[j] < buckets[i]) {
        next = otherBuckets[j];
        mergedCounts[size] = otherCounts[j++];
      } else {
        next = buckets[i];
        mergedCounts[size] = counts[i++] + otherCounts[j++];
      }
      mergedBuckets[size++] = next;
    }
    buckets = Arrays.copyOf(mergedBuckets, size);
    counts = Arrays.copyOf(mergedCounts, size);
  }

  private static void checkBucket(int index, long bucket, int previous, long count) {
    if (bucket <= previous || bucket >= BUCKET_COUNT || count <= 0) {
      throw new IllegalArgumentException(
          "Cannot decode KLD sketch: entry "
              + index
              + " has bucket "
              + bucket
              + " and count "
              + count
              + ", expected a bucket in ("
              + previous
              + ", "
              + BUCKET_COUNT
              + ") and a positive count");
    }
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    long remaining = value;
    while ((remaining & ~0x7FL) != 0) {
      out.write((int) ((remaining & 0x7F) | 0x80));
      remaining >>>= 7;
    }
    out.write((int) remaining);
  }

  private static long readVarint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      byte next = in.get();
      value |= (long) (next & 0x7F) << shift;
      if ((next & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("Cannot decode KLD sketch: a varint is longer than 9 bytes");
  }
}
