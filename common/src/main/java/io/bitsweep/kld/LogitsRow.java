package io.bitsweep.kld;

/**
 * One row of next-token logits with its argmax and log-sum-exp computed once (two O(vocab) passes),
 * so later queries cost O(1) per token.
 *
 * <p>The row is a view: it keeps a reference to the caller's array and does not copy it, so the
 * caller must not change those floats while the row is in use.
 */
public final class LogitsRow {
  /**
   * The smallest tail-to-total ratio for which the rest mass is taken as total minus top-k. Below
   * it the subtraction could lose more than 20 of the 52 significant bits, so the rest is summed
   * directly instead.
   */
  private static final double CANCELLATION_LIMIT = 0x1.0p-20;

  private final float[] logits;
  private final int offset;
  private final int vocab;
  private final int argmax;
  private final double max;
  private final double sumExp;
  private final double logSumExpShifted;

  private LogitsRow(float[] logits, int offset, int vocab) {
    this.logits = logits;
    this.offset = offset;
    this.vocab = vocab;
    this.argmax = Logits.argmax(logits, offset, vocab);
    this.max = logits[offset + argmax];
    double sum = 0;
    for (int i = offset; i < offset + vocab; i++) {
      sum += Math.exp(logits[i] - max);
    }
    this.sumExp = sum;
    this.logSumExpShifted = Math.log(sum);
  }

  /**
   * Summarizes the row {@code logits[offset, offset + vocab)}.
   *
   * @throws IllegalArgumentException if the row does not fit in the array, or contains NaN or
   *     {@code +Infinity}, or has no finite entry
   */
  public static LogitsRow of(float[] logits, int offset, int vocab) {
    return new LogitsRow(logits, offset, vocab);
  }

  /** Returns the number of tokens in the row. */
  public int vocab() {
    return vocab;
  }

  /** Returns the token with the largest logit, the lowest such token id on ties. */
  public int argmax() {
    return argmax;
  }

  /** Returns log(sum_i exp(logit_i)), accumulated in double after subtracting the maximum. */
  public double logSumExp() {
    return max + logSumExpShifted;
  }

  /**
   * Returns log p(token) in double, computed as (logit - max) - log(sum exp(logit - max)) so that
   * large logits lose no precision.
   */
  public double logProb(int token) {
    Logits.checkToken(token, vocab);
    return (logits[offset + token] - max) - logSumExpShifted;
  }

  /**
   * Returns log p(token) rounded to float32, the precision at which reference log-probabilities are
   * stored. Comparing at the same precision makes identical logits give exactly equal values.
   */
  public float storedLogProb(int token) {
    return (float) logProb(token);
  }

  /**
   * Selects the {@code k} tokens with the largest logits, ordered by logit descending and then by
   * token id ascending. Runs in O(vocab + k log k) typical time: a size-k min-heap is touched only
   * by the few entries that beat its current minimum.
   */
  public int[] topK(int k) {
    if (k < 1 || k > vocab) {
      throw new IllegalArgumentException(
          "Invalid top-k size " + k + ": expected a value in [1, " + vocab + "] (the vocabulary)");
    }
    return TopKSelector.select(logits, offset, vocab, k);
  }

  /**
   * Returns the log of the total probability of every token not in {@code tokenIds} (the "rest"
   * bucket of a top-k distribution), or {@code -Infinity} if that mass is zero.
   *
   * <p>The rest is the total minus the listed tokens' mass, summed in the order given, which is
   * O(k). When that difference is small enough for cancellation to matter, the rest is summed
   * directly over the unlisted tokens in id order instead, which is O(vocab). Both paths depend
   * only on the logits and the list, so identical inputs give bit-identical results.
   *
   * @param tokenIds distinct token ids in [0, vocab)
   */
  public double logMassExcluding(int[] tokenIds) {
    return Math.log(shiftedSumExcluding(tokenIds)) - logSumExpShifted;
  }

  /**
   * Draws {@code count} tokens from the distribution restricted to the tokens not in {@code
   * excludedIds} (the rest), by systematic sampling. The rest's cumulative distribution, in token
   * id order, is cut at the points {@code (firstPoint + j) / count} for j = 0 .. count - 1, and
   * each point picks the token whose interval contains it. Every rest token is then picked {@code
   * count * p / p_rest} times in expectation over a uniform first point, and a token whose share of
   * the rest is at least {@code 1 / count} is always picked. Ids come back in ascending order and repeat
   * when several points fall on one token. O(vocab).
   *
   * @param excludedIds distinct token ids in [0, vocab), leaving at least one token of positive
   *     probability
   * @param count the number of tokens to draw, at least 1
   * @param firstPoint the position of the first point, in [0, 1)
   */
  int[] systematicSample(int[] excludedIds, int count, double firstPoint) {
    double rest = shiftedSumExcluding(excludedIds);
    if (!(rest > 0) || count < 1 || !(firstPoint >= 0 && firstPoint < 1)) {
      throw new IllegalArgumentException(
          "Cannot sample the rest of a logits row: rest mass "
              + rest
              + ", count "
              + count
              + " and first point "
              + firstPoint
              + ", expected a positive mass, count >= 1 and a first point in [0, 1)");
    }
    boolean[] excluded = new boolean[vocab];
    for (int token : excludedIds) {
      excluded[token] = true;
    }

    int[] picked = new int[count];
    int next = 0;
    int lastPositive = -1;
    double cumulative = 0;
    for (int i = 0; i < vocab && next < count; i++) {
      double weight = excluded[i] ? 0 : Math.exp(logits[offset + i] - max);
      if (weight > 0) {
        lastPositive = i;
        cumulative += weight;
        while (next < count && (firstPoint + next) / count * rest < cumulative) {
          picked[next++] = i;
        }
      }
    }

    // Rounding can leave the running sum a few ulps short of the rest mass. The points beyond it
    // then belong to the last token of positive weight.
    while (next < count) {
      picked[next++] = lastPositive;
    }
    return picked;
  }

  /** Returns the sum of exp(logit - max) over the tokens not listed, guarding cancellation. */
  private double shiftedSumExcluding(int[] tokenIds) {
    double listed = 0;
    for (int token : tokenIds) {
      Logits.checkToken(token, vocab);
      listed += Math.exp(logits[offset + token] - max);
    }
    double rest = sumExp - listed;
    if (rest <= sumExp * CANCELLATION_LIMIT) {
      rest = sumExcluding(tokenIds);
    }
    return rest;
  }

  private double sumExcluding(int[] tokenIds) {
    int[] sorted = tokenIds.clone();
    java.util.Arrays.sort(sorted);
    double rest = 0;
    int next = 0;
    for (int i = 0; i < vocab; i++) {
      if (next < sorted.length && sorted[next] == i) {
        next++;
      } else {
        rest += Math.exp(logits[offset + i] - max);
      }
    }
    return rest;
  }
}
