package io.bitsweep.calibration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message of an OpenAI-style conversation.
 *
 * @param role the author
 * @param content the text, or null (an assistant message that only calls tools)
 * @param toolCalls the assistant's function calls, empty when there are none
 * @param toolCallId the id of the call that a tool message responds to, or null
 * @param name the tool's name on a tool message, or null
 * @param extra any other fields, such as {@code reasoning_content}, passed to the template as they
 *     are
 */
public record Message(
    Role role,
    String content,
    List<ToolCall> toolCalls,
    String toolCallId,
    String name,
    Map<String, JsonNode> extra) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public Message {
    Objects.requireNonNull(role, "role");
    toolCalls = List.copyOf(toolCalls);
    extra = Map.copyOf(extra);
    if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
      throw new IllegalArgumentException(
          "only assistant messages may have tool_calls, found them on a "
              + role.jsonName()
              + " message");
    }
  }

  /** Returns a message with only a role and text. */
  public static Message of(Role role, String content) {
    return new Message(role, content, List.of(), null, null, Map.of());
  }

  /**
   * Returns the message as a chat template reads it: {@code role}, {@code content}, and when
   * present {@code tool_calls} (each {@code {"type": "function", "function": {"name",
   * "arguments"}}}), {@code tool_call_id}, {@code name} and the extra fields.
   *
   * <p>Tool-call arguments are always a mapping, also when the sample gave them as JSON text,
   * because templates such as Qwen3.5's iterate them with {@code |items} and fail on a string.
   * Serving stacks such as vLLM parse the text of OpenAI requests the same way before rendering.
   */
  public Map<String, Object> toTemplateData() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("role", role.jsonName());
    data.put("content", content);
    if (!toolCalls.isEmpty()) {
      data.put("tool_calls", toolCalls.stream().map(Message::callData).toList());
    }
    if (toolCallId != null) {
      data.put("tool_call_id", toolCallId);
    }
    if (name != null) {
      data.put("name", name);
    }
    extra.forEach((key, value) -> data.put(key, toJava(value)));
    return data;
  }

  private static Map<String, Object> callData(ToolCall call) {
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("name", call.name());
    function.put("arguments", toJava(call.argumentsObject()));
    Map<String, Object> data = new LinkedHashMap<>();
    if (call.id() != null) {
      data.put("id", call.id());
    }
    data.put("type", "function");
    data.put("function", function);
    return data;
  }

  /** Converts JSON into maps, lists, strings, numbers, booleans and null. */
  static Object toJava(JsonNode node) {
    return JSON.convertValue(node, Object.class);
  }
}
