package io.bitsweep.tokenizer;

import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes values as Python's {@code json.dumps} does, which is what the {@code tojson} filter of
 * Hugging Face chat templates calls: keys in insertion order unless sorted, {@code ", "} and {@code
 * ": "} separators without indent and {@code ","} and {@code ": "} with it, floats in Python's
 * shortest {@code repr} form, and non-ASCII characters kept as they are unless {@code ensure_ascii}
 * is set.
 *
 * <p>Values are the Java forms of JSON: {@link Map}, {@link List} and arrays, {@link String} and
 * {@link SafeString}, numbers, {@link Boolean} and null; a {@link Map.Entry} is written as a
 * two-element list, as Python writes the tuples of {@code dict.items()}.
 */
final class PythonJson {
  /** The {@code json.dumps} options that chat templates pass to {@code tojson}. */
  record Options(
      String indent,
      String itemSeparator,
      String keySeparator,
      boolean sortKeys,
      boolean ensureAscii) {
    /** The options of a bare {@code tojson}: compact one-line output, keys unsorted. */
    static final Options DEFAULT = new Options(null, ", ", ": ", false, false);
  }

  private final Options options;
  private final StringBuilder out = new StringBuilder();

  private PythonJson(Options options) {
    this.options = options;
  }

  /**
   * Returns the JSON text of {@code value}.
   *
   * @throws IllegalArgumentException when the value contains an object that JSON cannot represent,
   *     naming its class
   */
  static String dumps(Object value, Options options) {
    PythonJson writer = new PythonJson(options);
    writer.write(value, 0);
    return writer.out.toString();
  }

  private void write(Object value, int depth) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String || value instanceof SafeString) {
      writeString(value.toString());
    } else if (value instanceof Boolean flag) {
      out.append(flag ? "true" : "false");
    } else if (value instanceof Number number) {
      out.append(numberText(number));
    } else if (value instanceof Map<?, ?> map) {
      writeMap(map, depth);
    } else if (value instanceof Map.Entry<?, ?> entry) {
      writeList(Arrays.asList(entry.getKey(), entry.getValue()), depth);
    } else if (value instanceof List<?> list) {
      writeList(list, depth);
    } else if (value instanceof Object[] array) {
      writeList(Arrays.asList(array), depth);
    } else {
      throw new IllegalArgumentException(
          "Object of type " + value.getClass().getName() + " is not JSON serializable");
    }
  }

  private void writeMap(Map<?, ?> map, int depth) {
    if (map.isEmpty()) {
      out.append("{}");
      return;
    }
    List<Map.Entry<String, Object>> entries = new ArrayList<>();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      entries.add(
          new AbstractMap.SimpleImmutableEntry<>(keyText(entry.getKey()), entry.getValue()));
    }
    if (options.sortKeys()) {
      entries.sort(Map.Entry.comparingByKey());
    }
    out.append('{');
    for (int i = 0; i < entries.size(); i++) {
      separate(i, depth + 1);
      writeString(entries.get(i).getKey());
      out.append(options.keySeparator());
      write(entries.get(i).getValue(), depth + 1);
    }
    closeContainer(depth, '}');
  }

  private void writeList(Collection<?> list, int depth) {
    if (list.isEmpty()) {
      out.append("[]");
      return;
    }
    out.append('[');
    int i = 0;
    for (Object element : list) {
      separate(i++, depth + 1);
      write(element, depth + 1);
    }
    closeContainer(depth, ']');
  }

  /** Writes the separator before element {@code index}, then the line break and indent if any. */
  private void separate(int index, int depth) {
    if (index > 0) {
      out.append(options.itemSeparator());
    }
    if (options.indent() != null) {
      out.append('\n').append(options.indent().repeat(depth));
    }
  }

  private void closeContainer(int depth, char close) {
    if (options.indent() != null) {
      out.append('\n').append(options.indent().repeat(depth));
    }
    out.append(close);
  }

  private void writeString(String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || (options.ensureAscii() && c > 0x7e)) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Returns a key as Python converts it: strings as they are, other scalars as their JSON text. */
  private static String keyText(Object key) {
    if (key instanceof String || key instanceof SafeString) {
      return key.toString();
    }
    if (key == null) {
      return "null";
    }
    if (key instanceof Number number) {
      return numberText(number);
    }
    if (key instanceof Boolean) {
      return key.toString();
    }
    throw new IllegalArgumentException(
        "keys must be str, int, float, bool or None, not " + key.getClass().getName());
  }

  static String numberText(Number number) {
    if (number instanceof Double || number instanceof Float) {
      return floatRepr(number.doubleValue());
    }
    if (number instanceof BigDecimal decimal) {
      return floatRepr(decimal.doubleValue());
    }
    if (number instanceof BigInteger
        || number instanceof Long
        || number instanceof Integer
        || number instanceof Short
        || number instanceof Byte) {
      return number.toString();
    }
    return floatRepr(number.doubleValue());
  }

  /**
   * Returns the decimal with the fewest significant digits that parses back to {@code value},
   * rounded to nearest. Java 17's {@code Double.toString} is not always that short: it prints
   * {@code 4.9E-324} where Python prints {@code 5e-324}.
   */
  private static BigDecimal shortestDecimal(double value) {
    BigDecimal exact = new BigDecimal(value);
    for (int digits = 1; digits < 17; digits++) {
      BigDecimal rounded = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
      if (rounded.doubleValue() == value) {
        return rounded.stripTrailingZeros();
      }
    }
    return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
  }

  /**
   * Returns Python's {@code repr} of a float: the shortest digits that round-trip, in positional
   * form for decimal exponents from -4 to 15 and in {@code 1.5e+16} form otherwise.
   */
  static String floatRepr(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "Infinity" : "-Infinity";
    }
    if (value == 0) {
      return (1 / value < 0) ? "-0.0" : "0.0";
    }
    BigDecimal decimal = shortestDecimal(Math.abs(value));
    String digits = decimal.unscaledValue().toString();
    int exponent = digits.length() - 1 - decimal.scale();
    String sign = value < 0 ? "-" : "";
    if (exponent >= -4 && exponent < 16) {
      String plain = decimal.toPlainString();
      return sign + (plain.contains(".") ? plain : plain + ".0");
    }
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    String exponentText =
        String.format(Locale.ROOT, "%s%02d", exponent < 0 ? "-" : "+", Math.abs(exponent));
    return sign + mantissa + "e" + exponentText;
  }
}
