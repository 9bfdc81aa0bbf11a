package io.bitsweep.quant;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.JsonErrors;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Reads typed values out of a parsed JSON or YAML tree, with errors that name the field path.
 * Shared by configurations and sweep specs.
 */
public final class ConfigNodes {
  private ConfigNodes() {}

  /**
   * Parses text with {@code mapper}, rejecting duplicate keys.
   *
   * @param source the file or description printed in errors
   * @throws QuantConfigException with the line and column of a syntax error
   */
  public static JsonNode parse(ObjectMapper mapper, String text, String source) {
    ObjectMapper strict =
        mapper
            .copy()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    try {
      JsonNode root = strict.readTree(text);
      if (root == null || root.isMissingNode()) {
        throw new QuantConfigException(source + ": the document is empty");
      }
      return root;
    } catch (JsonProcessingException e) {
      JsonLocation location = e.getLocation();
      String where =
          location == null
              ? ""
              : String.format(
                  Locale.ROOT,
                  " at line %d, column %d",
                  location.getLineNr(),
                  location.getColumnNr());
      throw new QuantConfigException(
          source + ": malformed document" + where + ": " + oneLine(JsonErrors.describe(e)), e);
    }
  }

  /**
   * Returns a parser message as one line. SnakeYAML's messages follow the context and the problem
   * each with an indented position line, the offending source line and a caret. Those indented
   * lines are dropped, because the error already gives the line and column, and the rest is joined.
   */
  static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    List<String> kept =
        message
            .lines()
            .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
            .toList();
    return kept.isEmpty() ? message.strip() : String.join("; ", kept);
  }

  /** A short description of a node for errors: its type and, for scalars, its value. */
  public static String describe(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    if (node.isObject()) {
      return "an object";
    }
    if (node.isArray()) {
      return "a list";
    }
    if (node.isTextual()) {
      return "the string \"" + node.asText() + "\"";
    }
    return node.getNodeType().name().toLowerCase(Locale.ROOT) + " " + node;
  }

  /** Returns a string value. */
  public static String text(JsonNode node, String path) {
    if (node == null || !node.isTextual()) {
      throw new QuantConfigException(path + ": expected a string, found " + describe(node));
    }
    return node.asText();
  }

  /** Returns an integer value that fits an {@code int}. */
  public static int integer(JsonNode node, String path) {
    if (node == null || !node.isIntegralNumber() || !node.canConvertToInt()) {
      throw new QuantConfigException(path + ": expected an integer, found " + describe(node));
    }
    return node.asInt();
  }

  /** Returns a boolean value. */
  public static boolean bool(JsonNode node, String path) {
    if (node == null || !node.isBoolean()) {
      throw new QuantConfigException(path + ": expected true or false, found " + describe(node));
    }
    return node.asBoolean();
  }

  /** Checks that a node is an object. */
  public static JsonNode object(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw new QuantConfigException(path + ": expected an object, found " + describe(node));
    }
    return node;
  }

  /** Checks that a node is a non-empty list. */
  public static JsonNode list(JsonNode node, String path) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new QuantConfigException(path + ": expected a non-empty list, found " + describe(node));
    }
    return node;
  }

  /** Rejects fields of an object that are not in {@code allowed}. */
  public static void checkFields(JsonNode node, String path, Collection<String> allowed) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new QuantConfigException(
            child(path, name) + ": unknown field; expected one of " + allowed);
      }
    }
  }

  /** Returns a required field of an object. */
  public static JsonNode required(JsonNode node, String field, String path) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new QuantConfigException(child(path, field) + ": missing");
    }
    return value;
  }

  /** Joins a path and a field name, with no leading dot at the root. */
  public static String child(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  /** The path of a list element, such as {@code blocks[2]}. */
  public static String element(String path, int index) {
    return path + "[" + index + "]";
  }
}
