package io.bitsweep.calibration;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One function call of an assistant message. The arguments keep the form the sample gave: a JSON
 * object, or a string of JSON text (as the OpenAI API sends them), which a chat template may print
 * as it is.
 *
 * @param id the call id that a tool message may refer to, or null
 * @param name the function name
 * @param arguments a JSON object, or a JSON string whose text parses to a JSON object
 */
public record ToolCall(String id, String name, JsonNode arguments) {
  public ToolCall {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
    if (!arguments.isObject() && !arguments.isTextual()) {
      throw new IllegalArgumentException(
          "arguments must be a JSON object or a string of JSON, found " + arguments.getNodeType());
    }
  }

  /** Returns true when the sample gave the arguments as a string of JSON text. */
  public boolean argumentsAsText() {
    return arguments.isTextual();
  }
}
