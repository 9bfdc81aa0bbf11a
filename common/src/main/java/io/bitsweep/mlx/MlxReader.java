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
   * Describes an MLX model folder: one aligned line per tensor (name, dtype, shape, bits and group
   * size of quantized modules, bytes), then totals of bytes, parameters and bits per weight as
   * mlx-lm computes them, and the count of modules per setting.
   */
  public static String inspect(Path mlxDir) {
    try (MlxModel model = MlxModel.open(mlxDir)) {
      return model.inspect();
    }
  }
}
