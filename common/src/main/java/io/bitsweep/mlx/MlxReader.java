package io.bitsweep.mlx;

import java.nio.file.Path;

/** Entry points for reading MLX model folders; see {@link MlxModel}. */
public final class MlxReader {
  private MlxReader() {}

  /** Opens an MLX model folder; the caller closes it. */
  public static MlxModel open(Path mlxDir) {
    return MlxModel.open(mlxDir);
  }

  /**
   * Describes an MLX model folder. Each tensor gets one aligned line with its name, dtype, shape,
   * bytes, and the bits and group size of its module when quantized. Totals of bytes, parameters
   * and bits per weight (computed as mlx-lm does) and the module count per setting follow.
   */
  public static String inspect(Path mlxDir) {
    try (MlxModel model = MlxModel.open(mlxDir)) {
      return model.inspect();
    }
  }
}
