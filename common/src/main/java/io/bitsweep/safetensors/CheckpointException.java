package io.bitsweep.safetensors;

/**
 * A checkpoint file or folder that cannot be used. The message names the file, the tensor or
 * field, the expected and the found value, and what to do.
 */
public class CheckpointException extends RuntimeException {
  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
