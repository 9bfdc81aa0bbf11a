package io.bitsweep.model;

import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model folder opened for inference: its config, its memory-mapped weights and the forward pass,
 * with whole-sequence logits and greedy generation.
 */
public final class LanguageModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);

  private final ModelConfig config;
  private final WeightSource weights;
  private final ForwardPass pass;
  private final Runnable release; // null when the caller owns the weights

  /** Wraps a config and a weight source that the caller owns. */
  public LanguageModel(ModelConfig config, WeightSource weights) {
    this(config, weights, null);
  }

  /**
   * Wraps a config and a weight source whose files stay open until {@link #close}, which runs
   * {@code release} (such as closing the model folder the weights are read from).
   */
  public LanguageModel(ModelConfig config, WeightSource weights, Runnable release) {
    this.config = config;
    this.weights = weights;
    this.pass = new ForwardPass(config);
    this.release = release;
  }

  /**
   * Opens a Hugging Face model folder, reads config.json and checks every tensor it implies.
   *
   * @throws io.bitsweep.safetensors.CheckpointException when the folder, config or tensors are
   *     invalid
   */
  public static LanguageModel open(Path directory) {
    Checkpoint checkpoint = Checkpoint.open(directory);
    try {
      ModelConfig config = ModelConfig.load(checkpoint);
      config.validate(checkpoint);
      LOG.info(
          "Opened {} ({}, {} layers, hidden_size {}, vocab_size {})",
          checkpoint.directory(),
          config.architecture(),
          config.numHiddenLayers(),
          config.hiddenSize(),
          config.vocabSize());
      return new LanguageModel(config, new CheckpointWeights(checkpoint), checkpoint::close);
    } catch (RuntimeException e) {
      checkpoint.close();
      throw e;
    }
  }

  public ModelConfig config() {
    return config;
  }

  public WeightSource weights() {
    return weights;
  }

  public ForwardPass forwardPass() {
    return pass;
  }

  /** Returns the logits {@code [tokens.length · vocab_size]} of one sequence from position 0. */
  public float[] logits(int[] tokens) {
    return pass.logits(tokens, weights);
  }

  /** Starts an empty incremental decoding session. */
  public DecodeSession newSession() {
    return new DecodeSession(pass, weights);
  }

  /**
   * Greedy decoding: feeds {@code prompt}, then repeatedly appends the highest-logit token (the
   * lowest id on ties) until {@code maxNewTokens} tokens or {@code eosId}. Returns the new tokens,
   * ending with {@code eosId} when it was produced; a negative {@code eosId} never stops early.
   */
  public int[] generate(int[] prompt, int maxNewTokens, int eosId) {
    if (prompt.length == 0) {
      throw new IllegalArgumentException("Cannot generate from an empty prompt; pass at least BOS");
    }
    DecodeSession session = newSession();
    int[] generated = new int[maxNewTokens];
    int count = 0;
    float[] logits = session.appendAndPredict(prompt);
    while (count < maxNewTokens) {
      int next = argmax(logits);
      generated[count++] = next;
      if (next == eosId || count == maxNewTokens) {
        break;
      }
      logits = session.appendAndPredict(new int[] {next});
    }
    return Arrays.copyOf(generated, count);
  }

  /** Returns the index of the largest value, the lowest index on ties. */
  public static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  @Override
  public void close() {
    if (release != null) {
      release.run();
    }
  }
}
