package io.bitsweep.calibration;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A conversation sample, rendered with the model's chat template.
 *
 * @param id the unique sample id
 * @param category the category, for example {@code dialogue} or {@code tool_call}
 * @param source where the sample was read, for messages
 * @param messages the conversation, at least one message
 * @param tools the tool definitions (JSON objects, usually {@code {"type": "function", "function":
 *     {...}}}), empty when there are none
 */
public record ChatSample(
    String id, String category, String source, List<Message> messages, List<JsonNode> tools)
    implements CalibrationSample {
  public ChatSample {
    SampleChecks.requireIdAndCategory(id, category, source);
    messages = List.copyOf(messages);
    tools = List.copyOf(tools);
    if (messages.isEmpty()) {
      throw new CalibrationException(
          "Cannot use sample " + id + " (" + source + "): it has no messages");
    }
  }

  /** Returns the messages as a chat template reads them. */
  public List<Map<String, Object>> templateMessages() {
    return messages.stream().map(Message::toTemplateData).toList();
  }

  /** Returns the tool definitions as a chat template reads them. */
  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> templateTools() {
    return tools.stream().map(tool -> (Map<String, Object>) Message.toJava(tool)).toList();
  }
}
