package io.bitsweep.eval;

import java.util.SplittableRandom;

/**
 * Builds next-token logits rows over a large vocabulary whose head follows real rows of a small
 * model, to extrapolate the compact reference forms' error to a vocabulary the small model lacks.
 *
 * <p>Row i copies the probabilities of the 32 most probable tokens of source row i (cycling through
 * the source rows), and spreads the source row's remaining mass p_rest over the other vocab - 32
 * tokens as a power law that continues from the 32nd token: p(rank) = p_32 (rank / 32)^-alpha for
 * rank 33 .. vocab. The exponent alpha is solved per row so that the tail sums to p_rest, then the
 * tail is rescaled to hold p_rest exactly. Token ids are a random permutation of the ranks, so id
 * order carries no information about probability, as in a real vocabulary.
 */
final class SyntheticVocabRows {
  /** Tokens whose probabilities are copied from the source rows. */
  static final int HEAD = 32;

  private final float[] sourceLogits;
  private final int sourceVocab;
  private final int vocab;
  private final SplittableRandom random;
  private int next;

  /**
   * @param sourceLogits rows of a small model's logits, [rows, sourceVocab] row-major
   * @param sourceVocab the small model's vocabulary, above {@link #HEAD}
   * @param vocab the vocabulary of the rows to build, at least sourceVocab
   * @param seed the seed of the id permutations and the noise
   */
  SyntheticVocabRows(float[] sourceLogits, int sourceVocab, int vocab, long seed) {
    if (sourceVocab <= HEAD || vocab < sourceVocab || sourceLogits.length % sourceVocab != 0) {
      throw new IllegalArgumentException(
          "Invalid synthetic rows: source vocabulary "
              + sourceVocab
              + " (expected > "
              + HEAD
              + "), target vocabulary "
              + vocab
              + " (expected >= the source's) and "
              + sourceLogits.length
              + " source logits (expected a multiple of the source vocabulary)");
    }
    this.sourceLogits = sourceLogits;
    this.sourceVocab = sourceVocab;
    this.vocab = vocab;
    this.random = new SplittableRandom(seed);
  }

  /**
   * Writes the next reference row into {@code reference} and the same row plus independent
   * Gaussian noise of standard deviation {@code sigma} into {@code quantized}, both at {@code
   * offset}.
   */
  void next(float[] reference, float[] quantized, int offset, double sigma) {
    double[] head = sourceHead(next % (sourceLogits.length / sourceVocab));
    next++;
    double headMass = 0;
    for (double p : head) {
      headMass += p;
    }
    double[] byRank = new double[vocab];
    System.arraycopy(head, 0, byRank, 0, HEAD);
    fillTail(byRank, head[HEAD - 1], 1 - headMass);
    int[] ids = permutation();
    for (int rank = 0; rank < vocab; rank++) {
      float logit = (float) Math.log(byRank[rank]);
      reference[offset + ids[rank]] = logit;
      quantized[offset + ids[rank]] = (float) (logit + sigma * random.nextGaussian());
    }
  }

  /** Returns the HEAD largest probabilities of a source row, in descending order. */
  private double[] sourceHead(int row) {
    int offset = row * sourceVocab;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < sourceVocab; i++) {
      max = Math.max(max, sourceLogits[offset + i]);
    }
    double[] probabilities = new double[sourceVocab];
    double sum = 0;
    for (int i = 0; i < sourceVocab; i++) {
      probabilities[i] = Math.exp(sourceLogits[offset + i] - max);
      sum += probabilities[i];
    }
    java.util.Arrays.sort(probabilities);
    double[] head = new double[HEAD];
    for (int j = 0; j < HEAD; j++) {
      head[j] = probabilities[sourceVocab - 1 - j] / sum;
    }
    return head;
  }

  /** Fills ranks HEAD .. vocab - 1 with the power law from {@code last} holding {@code mass}. */
  private void fillTail(double[] byRank, double last, double mass) {
    double alpha = solveExponent(last, mass);
    double sum = 0;
    for (int rank = HEAD; rank < vocab; rank++) {
      byRank[rank] = last * Math.pow((rank + 1.0) / HEAD, -alpha);
      sum += byRank[rank];
    }
    double scale = mass / sum;
    for (int rank = HEAD; rank < vocab; rank++) {
      byRank[rank] *= scale;
    }
  }

  /**
   * Returns the alpha for which sum_{r = HEAD+1}^{vocab} last (r / HEAD)^-alpha is about {@code
   * mass}, by bisection on an Euler-Maclaurin estimate of the sum (exact enough to pick the shape,
   * since the tail is rescaled to the exact mass afterwards).
   */
  private double solveExponent(double last, double mass) {
    double low = 0;
    double high = 200;
    for (int i = 0; i < 100; i++) {
      double alpha = (low + high) / 2;
      if (last * tailSum(alpha) > mass) {
        low = alpha;
      } else {
        high = alpha;
      }
    }
    return (low + high) / 2;
  }

  /** Estimates sum_{r=a}^{b} (r / HEAD)^-alpha with a = HEAD + 1, b = vocab. */
  private double tailSum(double alpha) {
    double a = HEAD + 1;
    double b = vocab;
    double integral;
    if (Math.abs(alpha - 1) < 1e-9) {
      integral = HEAD * Math.log(b / a);
    } else {
      double power = 1 - alpha;
      integral = Math.pow(HEAD, alpha) * (Math.pow(b, power) - Math.pow(a, power)) / power;
    }
    double fa = Math.pow(a / HEAD, -alpha);
    double fb = Math.pow(b / HEAD, -alpha);
    double derivativeA = -alpha * fa / a;
    double derivativeB = -alpha * fb / b;
    return integral + (fa + fb) / 2 + (derivativeB - derivativeA) / 12;
  }

  private int[] permutation() {
    int[] ids = new int[vocab];
    for (int i = 0; i < vocab; i++) {
      ids[i] = i;
    }
    for (int i = vocab - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = ids[i];
      ids[i] = ids[j];
      ids[j] = swap;
    }
    return ids;
  }
}
