package io.bitsweep.kld;

/**
 * Numerics on one row of next-token logits: argmax, log-sum-exp, log-softmax, the log-probability
 * of a token and the full KL divergence between two distributions.
 *
 * <p>A row is {@code vocab} consecutive floats of an array starting at {@code offset}, so a
 * [positions, vocab] block of logits can be read without copying. Every sum is accumulated in
 * double after subtracting the row maximum, so no exponential overflows. Entries may be {@code
 * -Infinity} (masked tokens); NaN, {@code +Infinity} and an all-{@code -Infinity} row are rejected.
 */
public final class Logits {
  private Logits() {}

  /** Returns the index of the largest logit, the lowest such index on ties. */
  public static int argmax(float[] logits, int offset, int vocab) {
    checkRow(logits, offset, vocab);
    int best = -1;
    float bestValue = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      float value = logits[offset + i];
      if (value > bestValue) {
        bestValue = value;
        best = i;
      } else if (Float.isNaN(value)) {
        throw new IllegalArgumentException(
            "Invalid logits row: entry " + i + " is NaN. Check the forward pass for overflow");
      }
    }
    if (best < 0) {
      throw new IllegalArgumentException(
          "Invalid logits row: all " + vocab + " entries are -Infinity, expected a finite logit");
    }
    if (bestValue == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(
          "Invalid logits row: entry "
              + best
              + " is Infinity. Check the forward pass for overflow");
    }
    return best;
  }

  /** Returns log(sum_i exp(logits[i])) over one row, accumulated in double. */
  public static double logSumExp(float[] logits, int offset, int vocab) {
    return LogitsRow.of(logits, offset, vocab).logSumExp();
  }

  /** Returns log(sum_i exp(logits[i])) over a whole array. */
  public static double logSumExp(float[] logits) {
    return logSumExp(logits, 0, logits.length);
  }

  /** Returns the log-probabilities log softmax(row) in double. */
  public static double[] logSoftmax(float[] logits, int offset, int vocab) {
    LogitsRow row = LogitsRow.of(logits, offset, vocab);
    double[] logProbs = new double[vocab];
    for (int i = 0; i < vocab; i++) {
      logProbs[i] = row.logProb(i);
    }
    return logProbs;
  }

  /** Returns the log-probabilities log softmax(logits) of a whole array. */
  public static double[] logSoftmax(float[] logits) {
    return logSoftmax(logits, 0, logits.length);
  }

  /** Returns log p(token) under softmax(row). */
  public static double logProb(float[] logits, int offset, int vocab, int token) {
    return LogitsRow.of(logits, offset, vocab).logProb(token);
  }

  /**
   * Returns KL(P || Q) = sum_i p_i (log p_i - log q_i) in nats from two rows of log-probabilities.
   * Tokens with p_i = 0 contribute nothing, and a token with p_i > 0 and q_i = 0 makes the result
   * infinite. The sum is returned as computed, so nearly equal distributions can give a value a few
   * ulps below zero.
   */
  public static double kld(double[] logP, double[] logQ) {
    if (logP.length != logQ.length) {
      throw new IllegalArgumentException(
          "Cannot compute KL divergence: P has "
              + logP.length
              + " log-probabilities but Q has "
              + logQ.length
              + ". Both must cover the same vocabulary");
    }
    double sum = 0;
    for (int i = 0; i < logP.length; i++) {
      if (logP[i] != Double.NEGATIVE_INFINITY) {
        sum += Math.exp(logP[i]) * (logP[i] - logQ[i]);
      }
    }
    return sum;
  }

  /** Returns KL(softmax(p) || softmax(q)) in nats for two rows of logits of the same length. */
  public static double kldOfLogits(float[] p, int pOffset, float[] q, int qOffset, int vocab) {
    return kld(LogitsRow.of(p, pOffset, vocab), LogitsRow.of(q, qOffset, vocab));
  }

  /**
   * Returns KL(P || Q) in nats, in double from the logits with no float32 rounding, for two
   * summarized rows of the same length. Same conventions as {@link #kld(double[], double[])}.
   */
  public static double kld(LogitsRow p, LogitsRow q) {
    if (p.vocab() != q.vocab()) {
      throw new IllegalArgumentException(
          "Cannot compute KL divergence: P has "
              + p.vocab()
              + " tokens but Q has "
              + q.vocab()
              + ". Both must cover the same vocabulary");
    }
    double sum = 0;
    for (int i = 0; i < p.vocab(); i++) {
      double logP = p.logProb(i);
      if (logP != Double.NEGATIVE_INFINITY) {
        sum += Math.exp(logP) * (logP - q.logProb(i));
      }
    }
    return sum;
  }

  static void checkRow(float[] logits, int offset, int vocab) {
    if (vocab <= 0 || offset < 0 || offset > logits.length - vocab) {
      throw new IllegalArgumentException(
          "Invalid logits row: offset "
              + offset
              + " and vocab "
              + vocab
              + " do not fit in an array of "
              + logits.length
              + " floats");
    }
  }

  static void checkToken(int token, int vocab) {
    if (token < 0 || token >= vocab) {
      throw new IllegalArgumentException(
          "Invalid token id " + token + ": expected a value in [0, " + vocab + ")");
    }
  }
}
