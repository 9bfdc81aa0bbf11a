package io.bitsweep.tokenizer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import jinjava.javax.el.MethodNotFoundException;

/**
 * The Python {@code str} methods that Hugging Face chat templates call, such as {@code
 * content.startswith('<tool_response>')} or {@code content.split('</think>')[-1].lstrip('\n')}.
 * Jinja2 runs templates in Python, where these are ordinary string methods; jinjava would instead
 * look for Java methods of the same name.
 */
final class PythonStrings {
  /** The methods {@link #invoke} implements. */
  static final Set<String> METHODS =
      Set.of(
          "startswith",
          "endswith",
          "strip",
          "lstrip",
          "rstrip",
          "split",
          "rsplit",
          "splitlines",
          "replace",
          "upper",
          "lower",
          "title",
          "capitalize",
          "find",
          "rfind",
          "count",
          "join",
          "isdigit",
          "isalpha",
          "isspace",
          "isupper",
          "islower");

  /** The characters at which Python's {@code str.splitlines} breaks lines. */
  private static final String LINE_BREAKS = "\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029";

  private PythonStrings() {}

  /**
   * Calls Python method {@code method} on {@code text}.
   *
   * @throws MethodNotFoundException when the method is not one of {@link #METHODS}
   * @throws IllegalArgumentException when the arguments do not fit the method
   */
  static Object invoke(String text, String method, Object[] args) {
    return switch (method) {
      case "startswith" -> matchesAffix(text, args, true);
      case "endswith" -> matchesAffix(text, args, false);
      case "strip" -> stripEnd(stripStart(text, chars(args)), chars(args));
      case "lstrip" -> stripStart(text, chars(args));
      case "rstrip" -> stripEnd(text, chars(args));
      case "split" -> split(text, arg(args, 0), maxSplit(args));
      case "rsplit" -> rsplit(text, arg(args, 0), maxSplit(args));
      case "splitlines" -> splitLines(text);
      case "replace" ->
          replace(
              text,
              string(args, 0),
              string(args, 1),
              args.length > 2 ? ((Number) args[2]).intValue() : -1);
      case "upper" -> text.toUpperCase(Locale.ROOT);
      case "lower" -> text.toLowerCase(Locale.ROOT);
      case "title" -> title(text);
      case "capitalize" ->
          text.isEmpty()
              ? text
              : text.substring(0, 1).toUpperCase(Locale.ROOT)
                  + text.substring(1).toLowerCase(Locale.ROOT);
      case "find" -> text.indexOf(string(args, 0));
      case "rfind" -> text.lastIndexOf(string(args, 0));
      case "count" -> count(text, string(args, 0));
      case "join" -> join(text, args);
      case "isdigit" -> !text.isEmpty() && text.chars().allMatch(Character::isDigit);
      case "isalpha" -> !text.isEmpty() && text.chars().allMatch(Character::isLetter);
      case "isspace" -> !text.isEmpty() && text.chars().allMatch(PythonStrings::isSpace);
      case "isupper" -> hasCased(text) && text.equals(text.toUpperCase(Locale.ROOT));
      case "islower" -> hasCased(text) && text.equals(text.toLowerCase(Locale.ROOT));
      default ->
          throw new MethodNotFoundException(
              "Cannot call method '"
                  + method
                  + "' on a string in a chat template: the sandbox allows"
                  + " only the Python str methods "
                  + String.join(", ", sorted(METHODS)));
    };
  }

  private static boolean matchesAffix(String text, Object[] args, boolean prefix) {
    Object affixes = args.length > 0 ? args[0] : null;
    Collection<?> candidates =
        affixes instanceof Collection<?> c ? c : List.of(String.valueOf(affixes));
    for (Object candidate : candidates) {
      String affix = String.valueOf(candidate);
      if (prefix ? text.startsWith(affix) : text.endsWith(affix)) {
        return true;
      }
    }
    return false;
  }

  /** Returns the characters to strip, or null for Python's default of whitespace. */
  private static String chars(Object[] args) {
    return args.length > 0 && args[0] != null ? args[0].toString() : null;
  }

  private static boolean strippable(char c, String chars) {
    return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
  }

  private static String stripStart(String text, String chars) {
    int start = 0;
    while (start < text.length() && strippable(text.charAt(start), chars)) {
      start++;
    }
    return text.substring(start);
  }

  private static String stripEnd(String text, String chars) {
    int end = text.length();
    while (end > 0 && strippable(text.charAt(end - 1), chars)) {
      end--;
    }
    return text.substring(0, end);
  }

  private static List<String> split(String text, String separator, int maxSplit) {
    if (separator == null) {
      return splitWhitespace(text, maxSplit);
    }
    requireSeparator(separator);
    List<String> parts = new ArrayList<>();
    int from = 0;
    int at;
    while ((maxSplit < 0 || parts.size() < maxSplit) && (at = text.indexOf(separator, from)) >= 0) {
      parts.add(text.substring(from, at));
      from = at + separator.length();
    }
    parts.add(text.substring(from));
    return parts;
  }

  private static List<String> rsplit(String text, String separator, int maxSplit) {
    if (separator == null || maxSplit < 0) {
      return split(text, separator, maxSplit);
    }
    requireSeparator(separator);
    List<String> parts = new ArrayList<>();
    int end = text.length();
    while (parts.size() < maxSplit) {
      int at = text.lastIndexOf(separator, end - separator.length());
      if (at < 0) {
        break;
      }
      parts.add(0, text.substring(at + separator.length(), end));
      end = at;
    }
    parts.add(0, text.substring(0, end));
    return parts;
  }

  private static List<String> splitWhitespace(String text, int maxSplit) {
    List<String> parts = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      while (i < text.length() && isSpace(text.charAt(i))) {
        i++;
      }
      if (i == text.length()) {
        break;
      }
      if (maxSplit >= 0 && parts.size() == maxSplit) {
        parts.add(stripEnd(text.substring(i), null));
        break;
      }
      int start = i;
      while (i < text.length() && !isSpace(text.charAt(i))) {
        i++;
      }
      parts.add(text.substring(start, i));
    }
    return parts;
  }

  private static void requireSeparator(String separator) {
    if (separator.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
  }

  private static List<String> splitLines(String text) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (LINE_BREAKS.indexOf(c) >= 0) {
        lines.add(text.substring(start, i));
        if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    if (start < text.length()) {
      lines.add(text.substring(start));
    }
    return lines;
  }

  private static String replace(String text, String target, String replacement, int count) {
    if (count < 0) {
      return text.replace(target, replacement);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int done = 0; done < count; done++) {
      int at = text.indexOf(target, from);
      if (at < 0) {
        break;
      }
      out.append(text, from, at).append(replacement);
      from = at + target.length();
    }
    return out.append(text.substring(from)).toString();
  }

  private static String title(String text) {
    StringBuilder out = new StringBuilder(text.length());
    boolean previousCased = false;
    for (char c : text.toCharArray()) {
      out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
      previousCased = Character.isLetter(c);
    }
    return out.toString();
  }

  private static int count(String text, String target) {
    if (target.isEmpty()) {
      return text.length() + 1;
    }
    int found = 0;
    for (int at = text.indexOf(target); at >= 0; at = text.indexOf(target, at + target.length())) {
      found++;
    }
    return found;
  }

  private static String join(String separator, Object[] args) {
    if (args.length != 1 || !(args[0] instanceof Collection<?> items)) {
      throw new IllegalArgumentException("join() takes one list argument");
    }
    List<String> parts = new ArrayList<>();
    for (Object item : items) {
      parts.add(String.valueOf(item));
    }
    return String.join(separator, parts);
  }

  private static boolean hasCased(String text) {
    return text.chars().anyMatch(Character::isLetter);
  }

  /** Python's {@code str.isspace} for one character. */
  private static boolean isSpace(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
  }

  private static String arg(Object[] args, int index) {
    return args.length > index && args[index] != null ? args[index].toString() : null;
  }

  private static String string(Object[] args, int index) {
    String value = arg(args, index);
    if (value == null) {
      throw new IllegalArgumentException("argument " + (index + 1) + " must be a string");
    }
    return value;
  }

  private static int maxSplit(Object[] args) {
    return args.length > 1 && args[1] instanceof Number n ? n.intValue() : -1;
  }

  private static List<String> sorted(Set<String> names) {
    List<String> list = new ArrayList<>(names);
    list.sort(null);
    return list;
  }
}
