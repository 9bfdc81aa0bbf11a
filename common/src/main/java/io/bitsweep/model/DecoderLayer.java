package io.bitsweep.model;

import io.bitsweep.model.Ops.NormKind;

/**
 * One pre-norm residual decoder layer: {@code x += mixer(norm(x))}, then {@code x += mlp(norm(x))},
 * where the mixer is Gated DeltaNet or attention and the MLP is SwiGLU or a mixture of experts.
 */
final class DecoderLayer {
  private final ModelConfig config;
  private final NormKind normKind;
  private final Attention attention;
  private final GatedDeltaNet deltaNet;
  private final SparseMoe moe;

  DecoderLayer(ModelConfig config) {
    this.config = config;
    this.normKind =
        config.architecture().zeroCenteredNorms() ? NormKind.ZERO_CENTERED : NormKind.PLAIN;
    this.attention = new Attention(config);
    this.deltaNet = config.linearAttention() == null ? null : new GatedDeltaNet(config);
    this.moe = config.moe() == null ? null : new SparseMoe(config);
  }

  /**
   * Runs layer {@code layer} on every row of {@code h} in place. {@code states} holds one decode
   * state per sequence for this layer ({@link AttentionCache} or {@link DeltaNetState}), or is null
   * when every sequence starts at position 0 with no cache.
   */
  void forward(int layer, HiddenStates h, WeightSource w, Object[] states) {
    String p = config.layerPrefix(layer);
    int tokens = h.tokenCount();
    int hidden = config.hiddenSize();
    float[] x = h.data();

    // Token mixer.
    float[] normed = norm(w, p + "input_layernorm.weight", x, tokens);
    float[] mixed;
    if (config.layerType(layer) == LayerType.FULL_ATTENTION) {
      mixed = attention.forward(layer, normed, h, w, cast(states, AttentionCache.class));
    } else {
      mixed = deltaNet.forward(layer, normed, h, w, cast(states, DeltaNetState.class));
    }
    Ops.addInPlace(x, mixed);

    // Feed-forward block.
    normed = norm(w, p + "post_attention_layernorm.weight", x, tokens);
    float[] ffn;
    if (config.isSparseLayer(layer)) {
      ffn = moe.forward(layer, normed, tokens, w);
    } else {
      SwiGlu.Weights weights = SwiGlu.read(w, p + "mlp.", hidden, config.intermediateSize());
      ffn = SwiGlu.apply(weights, normed, tokens, hidden, w, SwiGlu.InputNames.of(p + "mlp."));
    }
    Ops.addInPlace(x, ffn);
  }

  /** Returns the RMSNorm of every row with the weight {@code name}. */
  float[] norm(WeightSource w, String name, float[] x, int tokens) {
    int hidden = config.hiddenSize();
    float[] scale = Ops.normScale(w, name, hidden, normKind);
    return Ops.rmsNormRows(x, tokens, hidden, scale, config.rmsNormEps());
  }

  private static <T> T[] cast(Object[] states, Class<T> type) {
    if (states == null) {
      return null;
    }
    @SuppressWarnings("unchecked")
    T[] typed = (T[]) java.lang.reflect.Array.newInstance(type, states.length);
    for (int i = 0; i < states.length; i++) {
      typed[i] = type.cast(states[i]);
    }
    return typed;
  }
}
