package io.bitsweep.eval;

import io.bitsweep.awq.ActivationStats;
import io.bitsweep.awq.AwqScaleCache;
import io.bitsweep.awq.AwqWeights;
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
 *
 * <p>Configurations with AWQ settings need activation statistics: their weights are {@link
 * AwqWeights} over the model's, whose scale searches all candidates of the factory share, and
 * their signatures also name what decides each AWQ-derived tensor (the folded norms included).
 */
public final class CandidateFactory {
  private final ModelConfig config;
  private final WeightSource base;
  private final Map<String, TensorInfo> tensors;
  private final QuantPlan.HeadTying tying;
  private final FakeQuantCache cache;
  private final ActivationStats stats;
  private final AwqScaleCache awqCache = new AwqScaleCache();

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
    this(config, base, tensors, tying, cache, null);
  }

  /**
   * Same as the constructor without statistics, for configurations that may request AWQ.
   *
   * @param stats the activation statistics recorded on this model, or null when there are none
   */
  public CandidateFactory(
      ModelConfig config,
      WeightSource base,
      Map<String, TensorInfo> tensors,
      QuantPlan.HeadTying tying,
      FakeQuantCache cache,
      ActivationStats stats) {
    this.config = config;
    this.base = base;
    this.tensors = tensors;
    this.tying = tying;
    this.cache = cache;
    this.stats = stats;
  }

  /** Resolves a configuration against this model. */
  public QuantPlan plan(QuantConfig configuration) {
    return QuantPlan.resolve(configuration, tensors, tying);
  }

  /**
   * The stage signatures of a configuration's candidate, without building its weights. Without
   * activation statistics, AWQ entries are marked by their setting alone, which is enough to count
   * shared prefixes because AWQ changes only tensors of the layer it corrects.
   */
  public List<String> signaturesOf(QuantConfig configuration) {
    QuantPlan plan = plan(configuration);
    AwqWeights awq =
        hasAwq(plan) && stats != null ? new AwqWeights(config, base, plan, stats, awqCache) : null;
    List<String> signatures = signatures(plan, awq);
    return roundsNorms(plan) ? signatures.stream().map(s -> s + "norms=mlx;").toList() : signatures;
  }

  /**
   * The candidate of a configuration.
   *
   * @throws IllegalStateException when the configuration requests AWQ and the factory has no
   *     activation statistics
   */
  public Candidate candidate(QuantConfig configuration) {
    QuantPlan plan = plan(configuration);
    AwqWeights awq = hasAwq(plan) ? new AwqWeights(config, base, plan, stats, awqCache) : null;
    WeightSource weights = new FakeQuantWeights(awq == null ? base : awq, plan, cache);
    List<String> signatures = signatures(plan, awq);
    if (roundsNorms(plan)) {
      // The MLX folder stores zero-centred norms as 16-bit (1 + w); measure that model.
      weights = new MlxNormRounding(weights);
      signatures = signatures.stream().map(s -> s + "norms=mlx;").toList();
    }
    return new Candidate(configuration.id(), weights, signatures);
  }

  private static boolean hasAwq(QuantPlan plan) {
    for (QuantPlan.Entry entry : plan.entries().values()) {
      if (entry.setting().awq()) {
        return true;
      }
    }
    return false;
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
   * Signatures of the stages: the embedding's setting, each layer's tensor settings with what
   * decides their AWQ transform, and the head's setting (the embedding's when the head is tied).
   */
  private List<String> signatures(QuantPlan plan, AwqWeights awq) {
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
      String transform = awq == null ? "" : awq.transformSignature(entry.name());
      String setting =
          entry.name()
              + "="
              + entry.setting().label()
              + (transform.isEmpty() ? "" : " awq(" + transform + ")")
              + ";";
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
