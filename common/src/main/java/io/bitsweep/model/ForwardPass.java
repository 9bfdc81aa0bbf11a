package io.bitsweep.model;

import io.bitsweep.tensor.Gemm;
import java.util.List;
import java.util.Locale;

/**
 * The text forward pass of Qwen3.5 (dense and MoE), Qwen3-Next and Llama in fp32, layer-major over
 * a batch of sequences: every token of every sequence goes through layer 0, then layer 1, and so
 * on, so each projection is one matrix-matrix product over {@code [tokens, hidden_size]}.
 *
 * <p>The steps are public so a caller can share work between weight configurations: {@link #embed},
 * then {@link #layer} for each layer (forking with {@link HiddenStates#copy()} where two
 * configurations start to differ), then {@link #head}. Each call takes its own {@link
 * WeightSource}, and reads only the weights of the step it runs. A row's results do not depend on
 * the other sequences in the batch.
 */
public final class ForwardPass {
  /** Largest head matrix (in elements) that is read in one piece; larger ones go by row chunks. */
  private static final long WHOLE_HEAD_MAX_ELEMENTS = 1L << 24;

  /** Budget of the logits block, in floats: rows of {@code vocab_size} computed together. */
  private static final int LOGITS_BLOCK_FLOATS = 1 << 25;

  /** Budget of one chunk of head rows, in floats, when the head is read in pieces. */
  private static final int HEAD_CHUNK_FLOATS = 1 << 22;

  private final ModelConfig config;
  private final DecoderLayer decoderLayer;

  public ForwardPass(ModelConfig config) {
    this.config = config;
    this.decoderLayer = new DecoderLayer(config);
  }

  /** Returns the model the pass computes. */
  public ModelConfig config() {
    return config;
  }

  /**
   * Looks up the embeddings of a batch of sequences, each starting at position 0.
   *
   * @throws IllegalArgumentException for an empty sequence or a token id outside the vocabulary
   */
  public HiddenStates embed(List<int[]> sequences, WeightSource w) {
    return embed(sequences, new int[sequences.size()], w);
  }

  HiddenStates embed(List<int[]> sequences, int[] positions, WeightSource w) {
    int[] lengths = new int[sequences.size()];
    for (int s = 0; s < lengths.length; s++) {
      lengths[s] = sequences.get(s).length;
      if (lengths[s] == 0) {
        throw new IllegalArgumentException(
            "Cannot embed sequence "
                + s
                + ": it has no tokens; drop empty sequences from the batch");
      }
    }
    HiddenStates h = new HiddenStates(config.hiddenSize(), lengths, positions);
    for (int s = 0; s < lengths.length; s++) {
      int[] tokens = sequences.get(s);
      for (int i = 0; i < tokens.length; i++) {
        int id = tokens[i];
        if (id < 0 || id >= config.vocabSize()) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "Cannot embed token id %d at index %d of sequence %d: expected an id in [0, %d)"
                      + " (vocab_size)",
                  id,
                  i,
                  s,
                  config.vocabSize()));
        }
        w.readRows(config.embedTensor(), id, 1, h.data(), (h.start(s) + i) * config.hiddenSize());
      }
    }
    return h;
  }

  /** Runs decoder layer {@code layer} on every row of {@code h}, in place. */
  public void layer(int layer, HiddenStates h, WeightSource w) {
    layer(layer, h, w, null);
  }

  void layer(int layer, HiddenStates h, WeightSource w, Object[] states) {
    if (layer < 0 || layer >= config.numHiddenLayers()) {
      throw new IndexOutOfBoundsException(
          "layer "
              + layer
              + " is outside [0, "
              + config.numHiddenLayers()
              + ") (num_hidden_layers)");
    }
    if (h.hiddenSize() != config.hiddenSize()) {
      throw new IllegalArgumentException(
          "Cannot run layer "
              + layer
              + ": hidden states have width "
              + h.hiddenSize()
              + ", expected hidden_size "
              + config.hiddenSize());
    }
    decoderLayer.forward(layer, h, w, states);
  }

  /** Runs every decoder layer in order. */
  public void layers(HiddenStates h, WeightSource w) {
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      layer(i, h, w);
    }
  }

  /**
   * Applies the final norm and the output head and passes each token's logits to {@code sink}, in
   * row order, without changing {@code h}.
   */
  public void head(HiddenStates h, WeightSource w, LogitsSink sink) {
    int tokens = h.tokenCount();
    int[] rows = new int[tokens];
    for (int i = 0; i < tokens; i++) {
      rows[i] = i;
    }
    head(h, rows, w, sink);
  }

  /** Same as {@link #head(HiddenStates, WeightSource, LogitsSink)} for the given rows only. */
  public void head(HiddenStates h, int[] rows, WeightSource w, LogitsSink sink) {
    int hidden = config.hiddenSize();
    int vocab = config.vocabSize();
    float[] selected = new float[rows.length * hidden];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(h.data(), rows[i] * hidden, selected, i * hidden, hidden);
    }
    float[] normed = decoderLayer.norm(w, config.finalNormTensor(), selected, rows.length);
    String name = config.headTensor();
    float[] whole =
        (long) vocab * hidden <= WHOLE_HEAD_MAX_ELEMENTS
            ? Ops.weight(w, name, (long) vocab * hidden)
            : null;
    int blockRows = Math.max(1, Math.min(rows.length, LOGITS_BLOCK_FLOATS / vocab));
    float[] logits = new float[blockRows * vocab];
    for (int r0 = 0; r0 < rows.length; r0 += blockRows) {
      int n = Math.min(blockRows, rows.length - r0);
      if (whole != null) {
        Gemm.multiply(normed, r0 * hidden, whole, 0, logits, 0, n, vocab, hidden);
      } else {
        multiplyByChunks(w, name, normed, r0, n, logits);
      }
      for (int i = 0; i < n; i++) {
        int row = rows[r0 + i];
        int s = h.sequenceOf(row);
        sink.accept(s, h.position(s) + row - h.start(s), logits, i * vocab);
      }
    }
  }

  private void multiplyByChunks(
      WeightSource w, String name, float[] normed, int r0, int n, float[] logits) {
    int hidden = config.hiddenSize();
    int vocab = config.vocabSize();
    int chunkRows = Math.max(1, HEAD_CHUNK_FLOATS / hidden);
    float[] chunk = new float[chunkRows * hidden];
    float[] partial = new float[n * chunkRows];
    for (int v0 = 0; v0 < vocab; v0 += chunkRows) {
      int vn = Math.min(chunkRows, vocab - v0);
      w.readRows(name, v0, vn, chunk, 0);
      Gemm.multiply(normed, r0 * hidden, chunk, 0, partial, 0, n, vn, hidden);
      for (int i = 0; i < n; i++) {
        System.arraycopy(partial, i * vn, logits, i * vocab + v0, vn);
      }
    }
  }

  /**
   * Returns the logits {@code [tokens.length, vocab_size]} of one sequence read from position 0.
   */
  public float[] logits(int[] tokens, WeightSource w) {
    HiddenStates h = embed(List.of(tokens), w);
    layers(h, w);
    int vocab = config.vocabSize();
    float[] out = new float[Math.multiplyExact(tokens.length, vocab)];
    head(
        h,
        w,
        (sequence, position, logits, offset) ->
            System.arraycopy(logits, offset, out, position * vocab, vocab));
    return out;
  }
}
