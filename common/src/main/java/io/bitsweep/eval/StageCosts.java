package io.bitsweep.eval;

import io.bitsweep.model.ModelConfig;
import io.bitsweep.safetensors.TensorInfo;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Multiply-adds per token of each stage of the forward pass (embedding, each layer, the head),
 * estimated as the number of matrix weights the stage reads. For MoE layers this counts every
 * expert, so it overestimates their cost; the estimate only weighs stages against each other.
 */
public final class StageCosts {
  private static final Pattern LAYER = Pattern.compile("layers\\.(\\d+)\\.");

  private final double[] costs;

  private StageCosts(double[] costs) {
    this.costs = costs;
  }

  /** Costs from the checkpoint's tensor shapes: 2-D and 3-D weights count, vectors do not. */
  public static StageCosts of(ModelConfig config, Map<String, TensorInfo> tensors) {
    int layers = config.numHiddenLayers();
    double[] costs = new double[layers + 2];
    for (TensorInfo info : tensors.values()) {
      if (info.shape().length < 2 || info.name().startsWith("mtp.") || info.name().contains("visual.")) {
        continue;
      }
      Matcher m = LAYER.matcher(info.name());
      if (m.find()) {
        int layer = Integer.parseInt(m.group(1));
        if (layer < layers) {
          costs[layer + 1] += info.elementCount();
        }
      }
    }
    costs[layers + 1] = (double) config.vocabSize() * config.hiddenSize();
    return new StageCosts(costs);
  }

  /** Number of stages: the embedding, every layer and the head. */
  public int stageCount() {
    return costs.length;
  }

  /** Multiply-adds per token of a stage (0 for the embedding lookup). */
  public double cost(int stage) {
    return costs[stage];
  }
}
