package io.bitsweep.quant;

/**
 * An invalid configuration or sweep spec. The message starts with the field path (such as {@code
 * groups.mlp_up.bits}) or the file, says what was expected and what was found.
 */
public class QuantConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public QuantConfigException(String message) {
    super(message);
  }

  public QuantConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
