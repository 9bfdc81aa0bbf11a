package io.bitsweep.kld;

/**
 * The storage form of each bf16 next-token distribution in the reference table: the top-k tokens
 * plus the mass of the rest ({@link Form#TOP_K}), or every log-probability ({@link Form#FULL}).
 *
 * @param form the stored form
 * @param topK the number of stored tokens for {@link Form#TOP_K}, 0 for {@link Form#FULL}
 */
public record ReferenceEncoding(Form form, int topK) {
  /** Top-k size used when a run does not set one. */
  public static final int DEFAULT_TOP_K = 32;

  /** Stored bytes of one top-k token: an int32 id and a float32 log-probability. */
  public static final int BYTES_PER_TOP_TOKEN = 8;

  /** The two stored forms. */
  public enum Form {
    /** Top-k token ids and log-probabilities, plus the log of the remaining mass. */
    TOP_K,
    /** The float32 log-probability of every token in the vocabulary. */
    FULL
  }

  /** Validates that top-k has a positive k and that full has k = 0. */
  public ReferenceEncoding {
    if (form == null) {
      throw new IllegalArgumentException("Invalid reference encoding: form is missing");
    }
    if (form == Form.TOP_K && topK < 1) {
      throw new IllegalArgumentException(
          "Invalid reference encoding: top-k size is " + topK + ", expected at least 1");
    }
    if (form == Form.FULL && topK != 0) {
      throw new IllegalArgumentException(
          "Invalid reference encoding: the full form stores every token, so top-k must be 0,"
              + " found "
              + topK);
    }
  }

  /** Returns the top-k form with {@code k} stored tokens. */
  public static ReferenceEncoding topK(int k) {
    return new ReferenceEncoding(Form.TOP_K, k);
  }

  /** Returns the top-k form with {@link #DEFAULT_TOP_K} stored tokens. */
  public static ReferenceEncoding defaultTopK() {
    return topK(DEFAULT_TOP_K);
  }

  /** Returns the form that stores every log-probability. */
  public static ReferenceEncoding full() {
    return new ReferenceEncoding(Form.FULL, 0);
  }

  /**
   * Returns the bytes one position's distribution takes before compression: {@code 8k + 4} for
   * top-k (k int32 ids, k float32 log-probabilities, one float32 log rest mass) and {@code 4 *
   * vocab} for the full form. The target token and its log-probability (8 more bytes) are stored
   * with either form and are not counted.
   */
  public long bytesPerPosition(int vocab) {
    if (vocab < 1) {
      throw new IllegalArgumentException("Invalid vocabulary size " + vocab + ": expected >= 1");
    }
    if (form == Form.FULL) {
      return (long) Float.BYTES * vocab;
    }
    return topKBytesPerPosition(topK);
  }

  /** Returns {@code 8k + 4}, the bytes of one position in the top-k form. */
  public static long topKBytesPerPosition(int k) {
    return (long) BYTES_PER_TOP_TOKEN * k + Float.BYTES;
  }
}
