package io.bitsweep.eval;

import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.FakeQuantWeights;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns configurations into {@link Candidate}s over one model: resolves each against the
 * checkpoint, wraps the model's weights in fake-quantized weights that share one cache, and
 * derives the per-stage signatures from the resolved setting of every tensor.
 */
public final class CandidateFactory {
  private final ModelConfig config;
  private final WeightSource base;
  private final Map<String, TensorInfo> tensors;
  private final QuantPlan.HeadTying tying;
  private final FakeQuantCache cache;

  /**
   * @param config the model's configuration
   * @param base the unquantized weights
   * @param tensors every tensor of the checkpoint, by name
   * @param tying whether the head is tied to the embedding
   * @param cache the fake-quantized tensors shared by every candidate of this factory
   */
  public CandidateFactory(
      ModelConfig config,
      WeightSource base,
      Map<String, TensorInfo> tensors,
      QuantPlan.HeadTying tying,
      FakeQuantCache cache) {
    this.config = config;
    this.base = base;
    this.tensors = tensors;
    this.tying = tying;
    this.cache = cache;
  }

  /** Resolves a configuration against this model. */
  public QuantPlan plan(QuantConfig configuration) {
    return QuantPlan.resolve(configuration, tensors, tying);
  }

  /** The candidate of a configuration. */
  public Candidate candidate(QuantConfig configuration) {
    QuantPlan plan = plan(configuration);
    return new Candidate(
        configuration.id(), new FakeQuantWeights(base, plan, cache), signatures(plan));
  }

  /**
   * Signatures of the stages: the embedding's setting, each layer's tensor settings, and the
   * head's setting (the embedding's when the head is tied).
   */
  private List<String> signatures(QuantPlan plan) {
    int layers = config.numHiddenLayers();
    StringBuilder[] stages = new StringBuilder[layers + 2];
    for (int i = 0; i < stages.length; i++) {
      stages[i] = new StringBuilder();
    }
    String embed = config.embedTensor();
    for (QuantPlan.Entry entry : plan.entries().values()) {
      if (entry.disposition() == QuantPlan.Disposition.DROPPED && !entry.name().equals(config.headTensor())) {
        continue;
      }
      int layer = entry.role().layer();
      String setting = entry.name() + "=" + entry.setting().label() + ";";
      if (layer >= 0 && layer < layers) {
        stages[layer + 1].append(setting);
      } else if (entry.name().equals(embed)) {
        stages[0].append(setting);
      }
      if (entry.name().equals(config.headTensor()) || entry.name().equals(config.finalNormTensor())) {
        stages[layers + 1].append(setting);
      }
    }
    List<String> out = new ArrayList<>(stages.length);
    for (StringBuilder stage : stages) {
      out.add(stage.toString());
    }
    return out;
  }

  /** The shared cache, for hit and miss counts. */
  public FakeQuantCache cache() {
    return cache;
  }
}
