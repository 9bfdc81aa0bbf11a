package io.bitsweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.regex.Pattern;

/** Jackson parse errors worded for bitsweep's one-line messages. */
public final class JsonErrors {
  /**
   * Jackson's placeholder for the source it does not include in nested locations, such as the
   * start of an unclosed array: {@code [Source: REDACTED (`StreamReadFeature...` disabled); line:
   * 1, column: 25]}. Only the line and column mean anything to a user.
   */
  private static final Pattern REDACTED_SOURCE = Pattern.compile("Source: REDACTED \\([^)]*\\); ");

  private JsonErrors() {}

  /** Returns the parser's message without its location suffix or the redacted-source note. */
  public static String describe(JsonProcessingException e) {
    return REDACTED_SOURCE.matcher(e.getOriginalMessage()).replaceAll("");
  }
}
