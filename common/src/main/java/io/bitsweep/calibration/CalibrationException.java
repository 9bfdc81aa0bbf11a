package io.bitsweep.calibration;

/**
 * Calibration input that cannot be used: an invalid sample file, a sample the chat template cannot
 * render, or a mix that scores no position. The message names the file and line or the sample id,
 * what was expected and what was found.
 */
public class CalibrationException extends RuntimeException {
  public CalibrationException(String message) {
    super(message);
  }

  public CalibrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
