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

  /** The stage signatures of a configuration's candidate, without building its weights. */
  public List<String> signaturesOf(QuantConfig configuration) {
    QuantPlan plan = plan(configuration);
    List<String> signatures = signatures(plan);
    return roundsNorms(plan) ? signatures.stream().map(s -> s + "norms=mlx;").toList() : signatures;
  }

  /** The candidate of a configuration. */
  public Candidate candidate(QuantConfig configuration) {
    QuantPlan plan = plan(configuration);
    WeightSource weights = new FakeQuantWeights(base, plan, cache);
    List<String> signatures = signatures(plan);
    if (roundsNorms(plan)) {
      // The MLX folder stores zero-centred norms as 16-bit (1 + w); measure that model.
      weights = new MlxNormRounding(weights);
      signatures = signatures.stream().map(s -> s + "norms=mlx;").toList();
    }
    return new Candidate(configuration.id(), weights, signatures);
  }

  /**
   * Whether the written model's norms differ from the checkpoint's: Qwen3.5 and Qwen3-Next folders
   * store zero-centred norms as 16-bit {@code 1 + w}.
   *
   * <p>NOTE: an all-bf16 configuration is evaluated as the checkpoint itself (KLD 0 by
   * construction), although its MLX folder also rounds the norms; that row is the reference, not
   * a measurement of the folder.
   */
  private boolean roundsNorms(QuantPlan plan) {
    return config.architecture().zeroCenteredNorms() && !plan.quantizedSettings().isEmpty();
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
