package io.bitsweep.calibration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.JsonErrors;
import java.util.Objects;

/**
 * One function call of an assistant message. The arguments keep the form the sample gave: a JSON
 * object, or a string of JSON text as the OpenAI API sends them.
 *
 * @param id the call id that a tool message may refer to, or null
 * @param name the function name
 * @param arguments a JSON object, or a JSON string whose text parses to a JSON object
 */
public record ToolCall(String id, String name, JsonNode arguments) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public ToolCall {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
    if (!arguments.isObject() && !parse(arguments).isObject()) {
      throw new IllegalArgumentException(
          "arguments of tool call "
              + name
              + " must be a JSON object or a string of one, found "
              + arguments);
    }
  }

  /** Returns true when the sample gave the arguments as a string of JSON text. */
  public boolean argumentsAsText() {
    return arguments.isTextual();
  }

  /** Returns the arguments as a JSON object, parsing the text form. */
  public JsonNode argumentsObject() {
    return arguments.isObject() ? arguments : parse(arguments);
  }

  private static JsonNode parse(JsonNode arguments) {
    if (!arguments.isTextual()) {
      return arguments;
    }
    try {
      JsonNode parsed = JSON.readTree(arguments.asText());
      return parsed == null ? JSON.missingNode() : parsed;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "arguments are not valid JSON (" + JsonErrors.describe(e) + "): " + arguments.asText(),
          e);
    }
  }
}
