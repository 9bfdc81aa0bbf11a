package io.bitsweep.calibration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.JsonErrors;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads calibration samples from a JSONL file: one JSON object per line, either a conversation
 * {@code {"id", "category", "messages": [...], "tools": [...]}} with OpenAI-style messages, or a
 * text {@code {"id", "category", "text"}}. Blank lines are skipped.
 */
final class JsonlSamples {
  static final Set<String> SAMPLE_FIELDS = Set.of("id", "category", "messages", "tools", "text");
  private static final Set<String> MESSAGE_FIELDS =
      Set.of("role", "content", "tool_calls", "tool_call_id", "name");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID_HINT =
      "give every sample a unique string id, because results are joined on it";
  private static final String CATEGORY_HINT =
      "use dialogue, code, tool_call or another lowercase word";

  private JsonlSamples() {}

  /**
   * Reads every sample of a JSONL file.
   *
   * @throws CalibrationException naming the file and line of the first invalid sample, or when the
   *     file has no sample
   */
  static List<CalibrationSample> read(Path file) {
    List<CalibrationSample> samples = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNumber = 0;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lineNumber++;
        if (!line.isBlank()) {
          samples.add(parseLine(line, file + ":" + lineNumber));
        }
      }
    } catch (CharacterCodingException e) {
      throw new CalibrationException("Cannot read " + file + ": it is not valid UTF-8", e);
    } catch (IOException e) {
      throw new CalibrationException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    if (samples.isEmpty()) {
      throw new CalibrationException(
          "Cannot read "
              + file
              + ": it has no samples (the file is empty or has only blank"
              + " lines); remove it from the inputs or add one JSON object per line");
    }
    return samples;
  }

  private static CalibrationSample parseLine(String line, String where) {
    JsonNode node = parseObject(line, where);
    String id = requiredString(node, "id", where, ID_HINT);
    String label = "sample " + id + " (" + where + ")";
    String category = requiredString(node, "category", label, CATEGORY_HINT);
    checkFields(node, SAMPLE_FIELDS, label, "");

    boolean hasText = node.has("text");
    if (hasText == node.has("messages")) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": give either \"messages\" (a conversation) or \"text\" (plain text), "
              + (hasText ? "not both" : "found neither"));
    }
    if (hasText) {
      if (node.has("tools")) {
        throw new CalibrationException(
            "Cannot read " + label + ": a text sample cannot have tools");
      }
      String text = requiredString(node, "text", label, "give the text as a JSON string");
      return new TextSample(id, category, where, text);
    }
    List<Message> messages = messages(node.get("messages"), label);
    return new ChatSample(id, category, where, messages, tools(node.get("tools"), label));
  }

  private static JsonNode parseObject(String line, String where) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new CalibrationException(
          "Cannot read "
              + where
              + ": invalid JSON ("
              + JsonErrors.describe(e)
              + "); each line must be one complete JSON object",
          e);
    }
    if (!node.isObject()) {
      throw new CalibrationException(
          "Cannot read " + where + ": expected a JSON object, found a JSON " + node.getNodeType());
    }
    return node;
  }

  private static List<Message> messages(JsonNode node, String label) {
    if (!node.isArray() || node.isEmpty()) {
      throw new CalibrationException(
          "Cannot read " + label + ": \"messages\" must be a non-empty list of message objects");
    }
    List<Message> messages = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      messages.add(MessageParser.parse(node.get(i), label, "messages[" + i + "]"));
    }
    return messages;
  }

  private static List<JsonNode> tools(JsonNode node, String label) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    List<JsonNode> tools = new ArrayList<>();
    if (node.isArray()) {
      for (JsonNode tool : node) {
        if (!tool.isObject()) {
          break;
        }
        tools.add(tool);
      }
    }
    if (!node.isArray() || tools.size() != node.size()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": \"tools\" must be a list of tool definition objects, such as"
              + " {\"type\": \"function\", \"function\": {\"name\": ..., \"parameters\": ...}}");
    }
    return tools;
  }

  static String requiredString(JsonNode node, String field, String label, String hint) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new CalibrationException(
          "Cannot read " + label + ": the field \"" + field + "\" is missing; " + hint);
    }
    if (!value.isTextual()) {
      throw new CalibrationException(
          "Cannot read "
              + label
              + ": \""
              + field
              + "\" must be a string, found a JSON "
              + value.getNodeType()
              + "; "
              + hint);
    }
    return value.asText();
  }

  /** Rejects fields outside {@code allowed}, which are usually misspellings. */
  static void checkFields(JsonNode node, Set<String> allowed, String label, String path) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new CalibrationException(
            "Cannot read "
                + label
                + ": unknown field \""
                + path
                + name
                + "\"; allowed fields are "
                + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  /**
   * Parses the fields of a message that are not in the OpenAI format, such as reasoning_content.
   */
  static Map<String, JsonNode> extraFields(JsonNode message) {
    Map<String, JsonNode> extra = new LinkedHashMap<>();
    message
        .fields()
        .forEachRemaining(
            entry -> {
              if (!MESSAGE_FIELDS.contains(entry.getKey())) {
                extra.put(entry.getKey(), entry.getValue());
              }
            });
    return extra;
  }
}
