package io.bitsweep.mlx;

/**
 * A failure to write or read an MLX model folder; the message names the folder, file, tensor or
 * config field, what was expected and what was found.
 */
public class MlxException extends RuntimeException {
  public MlxException(String message) {
    super(message);
  }

  public MlxException(String message, Throwable cause) {
    super(message, cause);
  }
}
