package io.bitsweep.mlx;

/**
 * A failure to write or read an MLX model folder. The message names the folder, file, tensor or
 * config field, and gives the expected and the found value.
 */
public class MlxException extends RuntimeException {
  public MlxException(String message) {
    super(message);
  }

  public MlxException(String message, Throwable cause) {
    super(message, cause);
  }
}
