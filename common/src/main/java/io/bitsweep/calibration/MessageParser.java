package io.bitsweep.calibration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.JsonErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Parses one OpenAI-style message: {@code role} (system, user, assistant or tool), {@code content}
 * (a string; an assistant message that calls tools may omit it), {@code tool_calls} on assistant
 * messages, {@code tool_call_id} and {@code name} on tool messages, and any other field, which is
 * kept for the template.
 */
final class MessageParser {
  private static final Set<String> CALL_FIELDS = Set.of("id", "type", "function");
  private static final Set<String> FUNCTION_FIELDS = Set.of("name", "arguments");
  private static final ObjectMapper JSON = new ObjectMapper();

  private MessageParser() {}

  /**
   * Parses the message at {@code path} (for example {@code messages[2]}) of the sample {@code
   * label}.
   */
  static Message parse(JsonNode node, String label, String path) {
    if (!node.isObject()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + " must be a message object, found a JSON "
              + node.getNodeType());
    }
    Role role = role(node, label, path);
    List<ToolCall> calls = toolCalls(node.get("tool_calls"), role, label, path);
    String content = content(node.get("content"), role, !calls.isEmpty(), label, path);
    String toolCallId = optionalString(node, "tool_call_id", label, path);
    String name = optionalString(node, "name", label, path);
    return new Message(role, content, calls, toolCallId, name, JsonlSamples.extraFields(node));
  }

  private static Role role(JsonNode node, String label, String path) {
    JsonNode role = node.get("role");
    if (role == null || !role.isTextual()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + " has no string \"role\"; allowed roles are "
              + Role.ALLOWED);
    }
    return Role.fromJsonName(role.asText())
        .orElseThrow(
            () ->
                new CalibrationException(
                    "Cannot read "
                        + label
                        + ": "
                        + path
                        + ".role is \""
                        + role.asText()
                        + "\"; allowed roles are "
                        + Role.ALLOWED));
  }

  private static String content(
      JsonNode content, Role role, boolean hasCalls, String label, String path) {
    if (content == null || content.isNull()) {
      if (role == Role.ASSISTANT && hasCalls) {
        return null;
      }
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + " ("
              + role.jsonName()
              + ") has no \"content\";"
              + " only an assistant message with tool_calls may leave it out");
    }
    if (content.isArray()) {
      throw new UnsupportedOperationException(
          "Cannot read "
              + label
              + ": "
              + path
              + ".content is a list of content parts, which"
              + " bitsweep does not support; give the content as one string");
    }
    if (!content.isTextual()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + ".content must be a string, found a JSON "
              + content.getNodeType());
    }
    return content.asText();
  }

  private static List<ToolCall> toolCalls(JsonNode node, Role role, String label, String path) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (role != Role.ASSISTANT) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + " is a "
              + role.jsonName()
              + " message with"
              + " tool_calls; only assistant messages may call tools");
    }
    if (!node.isArray()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + ".tool_calls must be a list, found a JSON "
              + node.getNodeType());
    }
    List<ToolCall> calls = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      calls.add(toolCall(node.get(i), label, path + ".tool_calls[" + i + "]"));
    }
    return calls;
  }

  private static ToolCall toolCall(JsonNode call, String label, String path) {
    if (!call.isObject() || !call.path("function").isObject()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + " must be {\"type\": \"function\", \"function\":"
              + " {\"name\": ..., \"arguments\": ...}}, found "
              + call);
    }
    JsonlSamples.checkFields(call, CALL_FIELDS, label, path + ".");
    JsonNode type = call.get("type");
    if (type != null && !"function".equals(type.asText())) {
      throw new UnsupportedOperationException(
          "Cannot read "
              + label
              + ": "
              + path
              + ".type is \""
              + type.asText()
              + "\"; bitsweep"
              + " supports only function calls");
    }
    JsonNode function = call.get("function");
    JsonlSamples.checkFields(function, FUNCTION_FIELDS, label, path + ".function.");
    String name =
        JsonlSamples.requiredString(
            function,
            "name",
            label + " at " + path + ".function",
            "give the function name as a string");
    JsonNode arguments = arguments(function.get("arguments"), label, path + ".function.arguments");
    return new ToolCall(optionalString(call, "id", label, path), name, arguments);
  }

  /** Returns the arguments, checking that a string form contains a JSON object. */
  private static JsonNode arguments(JsonNode arguments, String label, String path) {
    if (arguments == null || arguments.isNull()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + " is missing; give the arguments as a JSON object"
              + " or a string of JSON, {} when there are none");
    }
    JsonNode parsed = arguments;
    if (arguments.isTextual()) {
      try {
        parsed = JSON.readTree(arguments.asText());
      } catch (JsonProcessingException e) {
        throw new CalibrationException(
            "Cannot read "
                + label
                + ": "
                + path
                + " is not valid JSON ("
                + JsonErrors.describe(e)
                + "): "
                + abbreviate(arguments.asText()),
            e);
      }
    }
    if (parsed == null || !parsed.isObject()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + " must be a JSON object, found "
              + (parsed == null ? "nothing" : "a JSON " + parsed.getNodeType()));
    }
    return arguments;
  }

  private static String optionalString(JsonNode node, String field, String label, String path) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": "
              + path
              + "."
              + field
              + " must be a string, found a JSON "
              + value.getNodeType());
    }
    return value.asText();
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 77) + "...";
  }
}
