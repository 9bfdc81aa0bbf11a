package io.bitsweep.kld;

/**
 * The storage form of each bf16 next-token distribution in the reference table: the top-k tokens
 * plus the mass of the rest ({@link Form#TOP_K}), the same plus a systematic sample of the rest
 * ({@link Form#SAMPLED_TAIL}, the default), or every log-probability ({@link Form#FULL}).
 *
 * @param form the stored form
 * @param topK the number of stored top tokens, 0 for {@link Form#FULL}
 * @param tailSamples the number of tokens sampled from the rest for {@link Form#SAMPLED_TAIL}, 0
 *     for the other forms
 */
public record ReferenceEncoding(Form form, int topK, int tailSamples) {
  /**
   * Top-k size used when a run does not set one. With {@link #DEFAULT_TAIL_SAMPLES} it costs 1028
   * bytes per position. Its mean KLD came within 0.05% of the exact mean on 7123 positions of the
   * tiny Qwen3.5 model and on 600 synthetic rows of a 248,320-token vocabulary, with a per-position
   * RMS error of 6-8% of the mean (see ReferenceStorageBenchmark and
   * docs/bench-notes/reference-storage.md).
   */
  public static final int DEFAULT_TOP_K = 64;

  /** Tail sample size used when a run does not set one. */
  public static final int DEFAULT_TAIL_SAMPLES = 64;

  /** Stored bytes of one top or sampled token: an int32 id and a float32 log-probability. */
  public static final int BYTES_PER_TOP_TOKEN = 8;

  /** The stored forms. */
  public enum Form {
    /** Top-k token ids and log-probabilities, plus the log of the remaining mass. */
    TOP_K,
    /** The top-k form plus tokens drawn from the remaining mass, for an unbiased tail estimate. */
    SAMPLED_TAIL,
    /** The float32 log-probability of every token in the vocabulary. */
    FULL
  }

  /** Validates the sizes each form needs. */
  public ReferenceEncoding {
    if (form == null) {
      throw new IllegalArgumentException("Invalid reference encoding: form is missing");
    }
    if (form == Form.FULL && (topK != 0 || tailSamples != 0)) {
      throw new IllegalArgumentException(
          "Invalid reference encoding: the full form stores every token, so top-k and tail"
              + " samples must be 0, found "
              + topK
              + " and "
              + tailSamples);
    }
    if (form != Form.FULL && topK < 1) {
      throw new IllegalArgumentException(
          "Invalid reference encoding: top-k size is " + topK + ", expected at least 1");
    }
    if (form == Form.TOP_K && tailSamples != 0) {
      throw new IllegalArgumentException(
          "Invalid reference encoding: the top-k form samples no tail tokens, found "
              + tailSamples
              + "; use the sampled-tail form");
    }
    if (form == Form.SAMPLED_TAIL && tailSamples < 1) {
      throw new IllegalArgumentException(
          "Invalid reference encoding: tail sample size is "
              + tailSamples
              + ", expected at least 1 for the sampled-tail form");
    }
  }

  /** Returns the top-k form with {@code k} stored tokens, whose KLD is a lower bound. */
  public static ReferenceEncoding topK(int k) {
    return new ReferenceEncoding(Form.TOP_K, k, 0);
  }

  /** Returns the top-{@code k} form plus {@code m} tokens sampled from the rest. */
  public static ReferenceEncoding sampledTail(int k, int m) {
    return new ReferenceEncoding(Form.SAMPLED_TAIL, k, m);
  }

  /**
   * Returns the sampled-tail form with {@code m} tail samples, or the plain top-k form when {@code
   * m} is 0, as the {@code --top-k} and {@code --tail-samples} options select.
   */
  public static ReferenceEncoding compact(int k, int m) {
    return m == 0 ? topK(k) : sampledTail(k, m);
  }

  /** Returns the form used when a run sets nothing: the sampled-tail form with the defaults. */
  public static ReferenceEncoding defaultEncoding() {
    return sampledTail(DEFAULT_TOP_K, DEFAULT_TAIL_SAMPLES);
  }

  /** Returns the plain top-k form with {@link #DEFAULT_TOP_K} stored tokens and no tail sample. */
  public static ReferenceEncoding defaultTopK() {
    return topK(DEFAULT_TOP_K);
  }

  /** Returns the form that stores every log-probability. */
  public static ReferenceEncoding full() {
    return new ReferenceEncoding(Form.FULL, 0, 0);
  }

  /**
   * Returns the bytes one position's distribution takes before compression: {@code 8k + 4} for
   * top-k (k int32 ids, k float32 log-probabilities, one float32 log rest mass), {@code 8(k + m) +
   * 4} for the sampled tail, and {@code 4 * vocab} for the full form. The target token and its
   * log-probability (8 more bytes) are stored with every form and are not counted.
   */
  public long bytesPerPosition(int vocab) {
    if (vocab < 1) {
      throw new IllegalArgumentException("Invalid vocabulary size " + vocab + ": expected >= 1");
    }
    return switch (form) {
      case FULL -> (long) Float.BYTES * vocab;
      case TOP_K -> topKBytesPerPosition(topK);
      case SAMPLED_TAIL -> sampledTailBytesPerPosition(topK, tailSamples);
    };
  }

  /** Returns {@code 8k + 4}, the bytes of one position in the top-k form. */
  public static long topKBytesPerPosition(int k) {
    return (long) BYTES_PER_TOP_TOKEN * k + Float.BYTES;
  }

  /** Returns {@code 8(k + m) + 4}, the bytes of one position in the sampled-tail form. */
  public static long sampledTailBytesPerPosition(int k, int m) {
    return (long) BYTES_PER_TOP_TOKEN * (k + m) + Float.BYTES;
  }

  /** Returns a short description such as {@code top-64 + 64 tail samples}, for logs and reports. */
  public String describe() {
    return switch (form) {
      case FULL -> "full log-probs";
      case TOP_K -> "top-" + topK;
      case SAMPLED_TAIL -> "top-" + topK + " + " + tailSamples + " tail samples";
    };
  }
}
