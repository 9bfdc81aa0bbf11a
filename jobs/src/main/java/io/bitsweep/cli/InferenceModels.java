package io.bitsweep.cli;

import io.bitsweep.mlx.MlxModel;
import io.bitsweep.mlx.MlxReader;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Path;

/**
 * Opens the models that {@code logits} and {@code generate} run: a Hugging Face checkpoint, or an
 * MLX folder such as {@code write-mlx} writes, run on its dequantized weights. With the MLX folder,
 * a user can check the written model's output on any machine before serving it with mlx-lm.
 */
final class InferenceModels {
  private InferenceModels() {}

  /** Opens {@code dir}; the caller closes the model. */
  static LanguageModel open(Path dir) {
    if (!isMlx(dir)) {
      return LanguageModel.open(dir);
    }
    MlxModel mlx = MlxReader.open(dir);
    try {
      ModelConfig config = mlx.modelConfig();
      return new LanguageModel(config, mlx.weights(), mlx::close);
    } catch (RuntimeException e) {
      mlx.close();
      throw e;
    }
  }

  /**
   * Returns whether config.json has a {@code quantization} entry, which MLX folders that hold a
   * quantized tensor have and Hugging Face checkpoints do not.
   */
  static boolean isMlx(Path dir) {
    return Checkpoint.readConfigJson(dir).has("quantization");
  }
}
