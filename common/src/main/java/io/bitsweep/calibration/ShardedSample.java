package io.bitsweep.calibration;

import java.util.Objects;

/**
 * A tokenized sample and the shard it belongs to.
 *
 * @param shard the shard index, from 0
 * @param sample the tokenized sample
 */
public record ShardedSample(int shard, TokenizedSample sample) {
  public ShardedSample {
    if (shard < 0) {
      throw new IllegalArgumentException("shard must be 0 or more, found " + shard);
    }
    Objects.requireNonNull(sample, "sample");
  }
}
