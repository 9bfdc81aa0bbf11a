package io.bitsweep.kld;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.PackedHistogram;

/**
 * A mergeable quantile sketch of per-token KLD values: an HdrHistogram with a fixed bucket layout
 * over KLD measured in units of 2^-30 nats.
 *
 * <p>The layout is fixed (unlike {@code DoubleHistogram}, which adjusts its range to the values
 * recorded so far), so merging only adds integer counts per bucket. The result is therefore the
 * same in any merge order and any partitioning, and so are its quantiles and its bytes.
 *
 * <p>Precision: a reported quantile differs from the exact nearest-rank quantile of the recorded
 * values by at most {@link #RELATIVE_PRECISION} of its value plus {@link #UNIT_NATS}. Values above
 * {@link #MAX_TRACKED_NATS} are recorded as that maximum, since no real KLD comes near it.
 */
public final class KldSketch {
  /** The resolution of the sketch in nats: values are rounded to a multiple of 2^-30. */
  public static final double UNIT_NATS = 0x1.0p-30;

  /** The largest KLD the sketch resolves, 2^20 nats. Larger values are recorded as this one. */
  public static final double MAX_TRACKED_NATS = 0x1.0p20;

  /** Half the relative bucket width with 3 significant decimal digits (2048 sub-buckets). */
  public static final double RELATIVE_PRECISION = 0x1.0p-11;

  private static final int SIGNIFICANT_DIGITS = 3;
  private static final long MAX_UNITS = (long) (MAX_TRACKED_NATS / UNIT_NATS);
  private static final byte FORMAT_VERSION = 1;

  private final PackedHistogram histogram;

  /** Creates an empty sketch. */
  public KldSketch() {
    this.histogram = new PackedHistogram(1, MAX_UNITS, SIGNIFICANT_DIGITS);
  }

  /** Records one per-token KLD in nats. */
  public void record(double kld) {
    if (!(kld >= 0) || kld == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(
          "Cannot record KLD " + kld + " in the sketch: expected a finite value >= 0");
    }
    histogram.recordValue(Math.min(Math.round(kld / UNIT_NATS), MAX_UNITS));
  }

  /** Adds every value recorded in {@code other} to this sketch, exactly and in any order. */
  public void merge(KldSketch other) {
    histogram.add(other.histogram);
  }

  /** Returns the number of recorded values. */
  public long count() {
    return histogram.getTotalCount();
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
    long total = count();
    if (total == 0) {
      throw new IllegalStateException("Cannot take a quantile of an empty KLD sketch");
    }
    // A few ulps of slack keep rounding in the fraction from moving the rank: 99.9 / 100 is
    // 0.9990000000000001, and 12000 times it must still be rank 11988.
    double position = fraction * total;
    long rank = Math.max(1, (long) Math.ceil(position - 4 * Math.ulp(position)));
    long seen = 0;
    for (HistogramIterationValue bucket : histogram.recordedValues()) {
      seen += bucket.getCountAtValueIteratedTo();
      if (seen >= rank) {
        return histogram.medianEquivalentValue(bucket.getValueIteratedTo()) * UNIT_NATS;
      }
    }
    throw new IllegalStateException("KLD sketch counts sum to less than its total " + total);
  }

  /**
   * Encodes the sketch compactly for a binary table column: a version byte, the number of non-empty
   * buckets, then per bucket the distance from the previous bucket's value and the count, as
   * unsigned LEB128 varints. Equal sketches give equal bytes.
   */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(FORMAT_VERSION);
    int buckets = 0;
    for (HistogramIterationValue ignored : histogram.recordedValues()) {
      buckets++;
    }
    writeVarint(out, buckets);
    long previous = 0;
    for (HistogramIterationValue bucket : histogram.recordedValues()) {
      long value = histogram.lowestEquivalentValue(bucket.getValueIteratedTo());
      writeVarint(out, value - previous);
      writeVarint(out, bucket.getCountAtValueIteratedTo());
      previous = value;
    }
    return out.toByteArray();
  }

  /**
   * Decodes bytes written by {@link #toBytes()}.
   *
   * @throws IllegalArgumentException if the bytes are truncated, have trailing data or another
   *     format version
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
      KldSketch sketch = new KldSketch();
      long buckets = readVarint(in);
      long value = 0;
      for (long i = 0; i < buckets; i++) {
        value += readVarint(in);
        long count = readVarint(in);
        if (value < 0 || value > MAX_UNITS || count <= 0) {
          throw new IllegalArgumentException(
              "Cannot decode KLD sketch: bucket "
                  + i
                  + " has value "
                  + value
                  + " and count "
                  + count
                  + ", expected a value in [0, "
                  + MAX_UNITS
                  + "] and a positive count");
        }
        sketch.histogram.recordValueWithCount(value, count);
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
    return other instanceof KldSketch that && histogram.equals(that.histogram);
  }

  @Override
  public int hashCode() {
    return Objects.hash(count(), histogram.getMaxValue());
  }

  @Override
  public String toString() {
    return "KldSketch[count=" + count() + "]";
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
    for (int shift = 0; shift < 64; shift += 7) {
      byte next = in.get();
      value |= (long) (next & 0x7F) << shift;
      if ((next & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalArgumentException(
        "Cannot decode KLD sketch: a varint is longer than 10 bytes");
  }
}
