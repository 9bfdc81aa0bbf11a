package io.bitsweep.eval;

import io.bitsweep.model.WeightSource;
import java.util.List;

/**
 * A configuration ready to evaluate: its id, the weights it reads (fake-quantized where it
 * quantizes) and one signature per stage of the forward pass. Two candidates with equal signatures
 * for the embedding and layers {@code 0..i} produce identical hidden states after layer {@code i},
 * which is what lets the evaluator share that work.
 *
 * @param id the configuration id
 * @param weights the weights of this configuration
 * @param signatures {@code numLayers + 2} strings: the embedding, each decoder layer, then the
 *     final norm and head
 */
public record Candidate(String id, WeightSource weights, List<String> signatures) {
  public Candidate {
    signatures = List.copyOf(signatures);
  }

  /** Signature of stage {@code stage}: 0 is the embedding, 1..L the layers, L+1 the head. */
  public String signature(int stage) {
    return signatures.get(stage);
  }
}
