package io.bitsweep.model;

/**
 * Receives the logits of one token at a time from {@link ForwardPass#head}, so a caller can reduce
 * them (log-softmax, top-k, KL divergence) without a {@code [tokens, vocab_size]} matrix.
 */
@FunctionalInterface
public interface LogitsSink {
  /**
   * Accepts the {@code vocab_size} logits of the token at absolute position {@code position} of
   * sequence {@code sequence}; they are {@code logits[offset .. offset + vocab_size)}. The array is
   * reused after the call returns, so copy what must be kept.
   */
  void accept(int sequence, int position, float[] logits, int offset);
}
