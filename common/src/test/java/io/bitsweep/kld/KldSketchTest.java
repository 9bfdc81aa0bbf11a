package io.bitsweep.kld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.junit.jupiter.api.Test;

class KldSketchTest {
  private static final double[] FRACTIONS = {0, 0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1};

  /** Per-token KLD-like values: log-normal around 0.003 nats, with zeros and a heavy tail. */
  static double[] kldLikeValues(Random random, int count) {
    double[] values = new double[count];
    for (int i = 0; i < count; i++) {
      values[i] = i % 97 == 0 ? 0 : Math.exp(Math.log(0.003) + 2.2 * random.nextGaussian());
    }
    return values;
  }

  @Test
  void quantilesWithinStatedPrecision() {
    double[] values = kldLikeValues(new Random(20), 100_003);
    KldSketch sketch = new KldSketch();
    for (double value : values) {
      sketch.record(value);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    Percentile nearestRank = new Percentile().withEstimationType(Percentile.EstimationType.R_1);
    for (double fraction : FRACTIONS) {
      double exact = sorted[(int) Math.max(0, Math.ceil(fraction * sorted.length) - 1)];
      if (fraction > 0) {
        assertThat(nearestRank.evaluate(values, fraction * 100))
            .as("commons-math3 R_1 at %s", fraction)
            .isEqualTo(exact);
      }
      double bound = KldSketch.RELATIVE_PRECISION * exact + KldSketch.UNIT_NATS;
      assertThat(sketch.quantile(fraction))
          .as("quantile %s, exact %s", fraction, exact)
          .isCloseTo(exact, within(bound));
    }
    assertThat(sketch.count()).isEqualTo(values.length);
  }

  @Test
  void smallSampleQuantilesAreNearestRank() {
    KldSketch sketch = new KldSketch();
    for (double value : new double[] {0.5, 0.1, 0.4, 0.2, 0.3}) {
      sketch.record(value);
    }
    assertThat(sketch.quantile(0)).isCloseTo(0.1, within(0.1 * KldSketch.RELATIVE_PRECISION));
    assertThat(sketch.quantile(0.5)).isCloseTo(0.3, within(0.3 * KldSketch.RELATIVE_PRECISION));
    assertThat(sketch.quantile(0.61)).isCloseTo(0.4, within(0.4 * KldSketch.RELATIVE_PRECISION));
    assertThat(sketch.quantile(1)).isCloseTo(0.5, within(0.5 * KldSketch.RELATIVE_PRECISION));
  }

  @Test
  void quantileRankToleratesFractionRounding() {
    KldSketch sketch = new KldSketch();
    for (int i = 0; i < 12_000; i++) {
      sketch.record(i < 11_988 ? 0.1 : 1.0); // rank 11988 is the last 0.1
    }
    assertThat(99.9 / 100 * 12_000)
        .as("the product rounds above the integer")
        .isGreaterThan(11_988);
    assertThat(sketch.quantile(99.9 / 100))
        .isCloseTo(0.1, within(0.1 * KldSketch.RELATIVE_PRECISION));
    assertThat(sketch.quantile(0.9991)).isCloseTo(1.0, within(KldSketch.RELATIVE_PRECISION));
  }

  @Test
  void bucketLayoutBoundsTheError() {
    long[] edges = {0, 1, 2047, 2048, 2049, 4095, 4096, 1L << 30, (1L << 50) - 1};
    Random random = new Random(24);
    List<Long> units = new ArrayList<>();
    for (long edge : edges) {
      units.add(edge);
    }
    for (int i = 0; i < 100_000; i++) {
      units.add((long) Math.exp(random.nextDouble() * Math.log(0x1.0p50)));
    }
    Collections.sort(units);
    int previousBucket = -1;
    for (long unit : units) {
      int bucket = KldSketch.bucketOf(unit);
      double midpoint = KldSketch.midpointUnits(bucket);
      assertThat(Math.abs(midpoint - unit))
          .as("units %d in bucket %d", unit, bucket)
          .isLessThanOrEqualTo(KldSketch.RELATIVE_PRECISION * unit);
      assertThat(bucket).as("bucket of %d", unit).isGreaterThanOrEqualTo(previousBucket);
      previousBucket = bucket;
    }
    assertThat(KldSketch.bucketOf(2047)).isEqualTo(2047);
    assertThat(KldSketch.bucketOf(2048)).isEqualTo(2048);
    assertThat(KldSketch.bucketOf(2049)).as("width 2 above 2048 units").isEqualTo(2048);
    assertThat(KldSketch.bucketOf(4096)).isEqualTo(3072);
    assertThat(KldSketch.bucketOf((1L << 50) - 1)).isEqualTo(41_983);
  }

  @Test
  void mergeIsOrderIndependent() {
    double[] values = kldLikeValues(new Random(21), 20_000);
    List<KldSketch> parts = new ArrayList<>();
    for (int part = 0; part < 7; part++) {
      parts.add(new KldSketch());
    }
    KldSketch whole = new KldSketch();
    Random random = new Random(22);
    for (double value : values) {
      parts.get(random.nextInt(parts.size())).record(value);
      whole.record(value);
    }
    for (int trial = 0; trial < 3; trial++) {
      Collections.shuffle(parts, random);
      KldSketch merged = new KldSketch();
      for (KldSketch part : parts) {
        merged.merge(part);
      }
      assertThat(merged).isEqualTo(whole);
      assertThat(merged.toBytes()).isEqualTo(whole.toBytes());
      for (double fraction : FRACTIONS) {
        assertThat(merged.quantile(fraction)).isEqualTo(whole.quantile(fraction));
      }
    }
  }

  @Test
  void denseAndSparseSketchesAgree() {
    double[] values = kldLikeValues(new Random(25), 60_000);
    KldSketch dense = new KldSketch();
    List<KldSketch> samples = new ArrayList<>();
    for (int start = 0; start < values.length; start += 300) {
      KldSketch sample = new KldSketch();
      for (int i = start; i < start + 300; i++) {
        sample.record(values[i]);
      }
      samples.add(sample);
      dense.merge(sample);
    }
    KldSketch decoded = KldSketch.fromBytes(dense.toBytes());
    assertThat(dense.isDense()).as("more than 4096 non-empty buckets").isTrue();
    assertThat(decoded.isDense()).isFalse();
    assertThat(decoded).isEqualTo(dense);
    assertThat(dense).isEqualTo(decoded);

    KldSketch sparseFirst = KldSketch.fromBytes(samples.get(0).toBytes());
    sparseFirst.merge(decoded); // sparse into which a large sketch is merged
    KldSketch denseFirst = KldSketch.fromBytes(dense.toBytes());
    denseFirst.merge(samples.get(0));
    assertThat(sparseFirst.toBytes()).isEqualTo(denseFirst.toBytes());
    assertThat(sparseFirst.count()).isEqualTo(values.length + 300);
    for (double fraction : FRACTIONS) {
      assertThat(sparseFirst.quantile(fraction)).isEqualTo(denseFirst.quantile(fraction));
    }
  }

  @Test
  void bytesRoundTrip() {
    KldSketch sketch = new KldSketch();
    for (double value : kldLikeValues(new Random(23), 500)) {
      sketch.record(value);
    }
    sketch.record(KldSketch.MAX_TRACKED_NATS);
    byte[] bytes = sketch.toBytes();
    KldSketch decoded = KldSketch.fromBytes(bytes);
    assertThat(decoded).isEqualTo(sketch);
    assertThat(decoded.toBytes()).isEqualTo(bytes);
    assertThat(bytes.length).as("bytes for 501 values").isLessThan(2500);
    assertThat(KldSketch.fromBytes(new KldSketch().toBytes()).count()).isZero();
  }

  @Test
  void valuesAboveRangeAreClamped() {
    KldSketch sketch = new KldSketch();
    sketch.record(1e9);
    assertThat(sketch.quantile(1))
        .isCloseTo(KldSketch.MAX_TRACKED_NATS, within(KldSketch.MAX_TRACKED_NATS * 1e-3));
  }

  @Test
  void rejectsInvalidInput() {
    KldSketch sketch = new KldSketch();
    assertThatThrownBy(() -> sketch.record(-1e-3))
        .hasMessage("Cannot record KLD -0.001 in the sketch: expected a finite value >= 0");
    assertThatThrownBy(() -> sketch.record(Double.NaN)).hasMessageContaining("KLD NaN");
    assertThatThrownBy(() -> sketch.record(Double.POSITIVE_INFINITY))
        .hasMessageContaining("KLD Infinity");
    assertThatThrownBy(() -> sketch.quantile(0.5))
        .hasMessage("Cannot take a quantile of an empty KLD sketch");
    sketch.record(1);
    assertThatThrownBy(() -> sketch.quantile(99))
        .hasMessage("Invalid quantile 99.0: expected a fraction in [0, 1]");
  }

  @Test
  void rejectsCorruptBytes() {
    KldSketch sketch = new KldSketch();
    sketch.record(0.25);
    sketch.record(0.5);
    byte[] bytes = sketch.toBytes();
    byte[] otherVersion = bytes.clone();
    otherVersion[0] = 9;
    assertThatThrownBy(() -> KldSketch.fromBytes(otherVersion))
        .hasMessage(
            "Cannot decode KLD sketch: format version 9, expected 1. Recompute the results with"
                + " this version of bitsweep");
    assertThatThrownBy(() -> KldSketch.fromBytes(Arrays.copyOf(bytes, bytes.length - 1)))
        .hasMessage(
            "Cannot decode KLD sketch: " + (bytes.length - 1) + " bytes end inside a bucket");
    assertThatThrownBy(() -> KldSketch.fromBytes(Arrays.copyOf(bytes, bytes.length + 2)))
        .hasMessage("Cannot decode KLD sketch: 2 bytes left after the last bucket");
    assertThatThrownBy(() -> KldSketch.fromBytes(new byte[0]))
        .hasMessage("Cannot decode KLD sketch: 0 bytes end inside a bucket");
  }
}
