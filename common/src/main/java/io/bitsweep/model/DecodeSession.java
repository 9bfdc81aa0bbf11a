package io.bitsweep.model;

import java.util.List;

/**
 * Incremental decoding of one sequence: each {@link #append} runs only the new tokens, reading the
 * KV caches of the attention layers and the conv and recurrent states of the DeltaNet layers left
 * by earlier calls. A session is not thread-safe.
 *
 * <p>The session caches the fp32 weights it reads, up to half the maximum heap ({@link
 * CachingWeights}), so later steps do not widen or dequantize them again. Copies of a session
 * share that cache.
 */
public final class DecodeSession {
  private final ForwardPass pass;
  private final WeightSource weights;
  private final Object[] states; // per layer: AttentionCache or DeltaNetState
  private int position;

  DecodeSession(ForwardPass pass, WeightSource weights) {
    this.pass = pass;
    this.weights = new CachingWeights(weights, CachingWeights.defaultBudgetBytes());
    ModelConfig config = pass.config();
    this.states = new Object[config.numHiddenLayers()];
    for (int i = 0; i < states.length; i++) {
      states[i] =
          config.layerType(i) == LayerType.FULL_ATTENTION
              ? new AttentionCache(
                  config.attention().numKeyValueHeads() * config.attention().headDim())
              : new DeltaNetState(config.linearAttention());
    }
  }

  private DecodeSession(DecodeSession other) {
    this.pass = other.pass;
    this.weights = other.weights;
    this.position = other.position;
    this.states = new Object[other.states.length];
    for (int i = 0; i < states.length; i++) {
      states[i] =
          other.states[i] instanceof AttentionCache cache
              ? cache.copy()
              : ((DeltaNetState) other.states[i]).copy();
    }
  }

  /** Returns an independent session with the same history. */
  public DecodeSession copy() {
    return new DecodeSession(this);
  }

  /** Returns the tokens consumed so far, which is the position of the next token. */
  public int position() {
    return position;
  }

  /** Runs {@code tokens} and passes the logits of every one of them to {@code sink}. */
  public void append(int[] tokens, LogitsSink sink) {
    HiddenStates h = run(tokens);
    pass.head(h, weights, sink);
  }

  /** Runs {@code tokens} and returns the logits {@code [vocab_size]} after the last one. */
  public float[] appendAndPredict(int[] tokens) {
    HiddenStates h = run(tokens);
    float[] out = new float[pass.config().vocabSize()];
    pass.head(
        h,
        new int[] {h.tokenCount() - 1},
        weights,
        (s, p, logits, offset) -> System.arraycopy(logits, offset, out, 0, out.length));
    return out;
  }

  private HiddenStates run(int[] tokens) {
    HiddenStates h = pass.embed(List.of(tokens), new int[] {position}, weights);
    Object[] layerStates = new Object[1];
    for (int i = 0; i < states.length; i++) {
      layerStates[0] = states[i];
      pass.layer(i, h, weights, layerStates);
    }
    position += tokens.length;
    return h;
  }
}
