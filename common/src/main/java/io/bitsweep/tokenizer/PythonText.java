package io.bitsweep.tokenizer;

import com.hubspot.jinjava.objects.SafeString;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Python's {@code str()} and {@code repr()} of template values, which the {@code string} filter of
 * Jinja2 returns: {@code True}, {@code None}, {@code 1e-05}, {@code {'a': [1, 'b']}}.
 */
final class PythonText {
  private PythonText() {}

  /** Returns Python's {@code str(value)}: strings as they are, everything else as {@link #repr}. */
  static String str(Object value) {
    if (value instanceof String || value instanceof SafeString) {
      return value.toString();
    }
    return repr(value);
  }

  /** Returns Python's {@code repr(value)}. */
  static String repr(Object value) {
    StringBuilder out = new StringBuilder();
    appendRepr(out, value);
    return out.toString();
  }

  private static void appendRepr(StringBuilder out, Object value) {
    if (value == null) {
      out.append("None");
    } else if (value instanceof Boolean flag) {
      out.append(flag ? "True" : "False");
    } else if (value instanceof Number number) {
      out.append(pythonNumber(number));
    } else if (value instanceof String || value instanceof SafeString) {
      appendStringRepr(out, value.toString());
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      String separator = "";
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        out.append(separator);
        appendRepr(out, entry.getKey());
        out.append(": ");
        appendRepr(out, entry.getValue());
        separator = ", ";
      }
      out.append('}');
    } else if (value instanceof Map.Entry<?, ?> entry) {
      appendSequence(out, Arrays.asList(entry.getKey(), entry.getValue()).iterator(), '(', ')');
    } else if (value instanceof Collection<?> list) {
      appendSequence(out, list.iterator(), '[', ']');
    } else if (value instanceof Object[] array) {
      appendSequence(out, Arrays.asList(array).iterator(), '[', ']');
    } else {
      out.append(value);
    }
  }

  private static void appendSequence(StringBuilder out, Iterator<?> items, char open, char close) {
    out.append(open);
    String separator = "";
    while (items.hasNext()) {
      out.append(separator);
      appendRepr(out, items.next());
      separator = ", ";
    }
    out.append(close);
  }

  private static String pythonNumber(Number number) {
    String json = PythonJson.numberText(number);
    // Python's repr spells the non-finite floats differently from its json module.
    return switch (json) {
      case "NaN" -> "nan";
      case "Infinity" -> "inf";
      case "-Infinity" -> "-inf";
      default -> json;
    };
  }

  /** Appends a string in single quotes, or double quotes when it contains a ' and no ". */
  private static void appendStringRepr(StringBuilder out, String text) {
    char quote = text.indexOf('\'') >= 0 && text.indexOf('"') < 0 ? '"' : '\'';
    out.append(quote);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == quote || c == '\\') {
        out.append('\\').append(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append(quote);
  }
}
