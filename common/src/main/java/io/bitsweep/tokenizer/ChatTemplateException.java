package io.bitsweep.tokenizer;

/**
 * A chat template that cannot be loaded or rendered. The message names the template's file and the
 * template error, with its line when jinjava reports one.
 */
public class ChatTemplateException extends RuntimeException {
  public ChatTemplateException(String message) {
    super(message);
  }

  public ChatTemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
