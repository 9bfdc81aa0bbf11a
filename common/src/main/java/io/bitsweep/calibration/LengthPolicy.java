package io.bitsweep.calibration;

/** The treatment of a sample with more tokens than the maximum length. */
public enum LengthPolicy {
  /** Keeps the first tokens up to the maximum length and counts the sample as truncated. */
  TRUNCATE,
  /** Fails with a message naming the sample and its length. */
  REJECT
}
