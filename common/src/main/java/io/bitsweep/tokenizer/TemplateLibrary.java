package io.bitsweep.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The filters and functions that Hugging Face adds to Jinja2 for chat templates, written for
 * jinjava: the {@code tojson} filter with Python's {@code json.dumps} output, the {@code items}
 * filter of Jinja2 3.1, a {@code string} filter that returns Python's {@code str()}, and the
 * functions {@code raise_exception} and {@code strftime_now}.
 */
final class TemplateLibrary {
  private TemplateLibrary() {}

  /** Returns the filters to register, replacing jinjava's own {@code tojson} and {@code string}. */
  static List<Filter> filters() {
    return List.of(new ToJson(), new Items(), new PythonString());
  }

  /** Returns the functions to register. */
  static List<ELFunctionDefinition> functions() {
    return List.of(
        new ELFunctionDefinition(
            "", "raise_exception", TemplateLibrary.class, "raiseException", Object.class),
        new ELFunctionDefinition(
            "", "strftime_now", TemplateLibrary.class, "strftimeNow", String.class));
  }

  /**
   * Fails the render with the template's own message, as Hugging Face's {@code raise_exception}
   * does.
   */
  public static Object raiseException(Object message) {
    throw new TemplateRaisedException(String.valueOf(message));
  }

  /**
   * Formats the current time of the render's clock with a Python {@code strftime} pattern, in UTC.
   */
  public static String strftimeNow(String format) {
    JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
    long millis =
        interpreter == null
            ? System.currentTimeMillis()
            : interpreter.getConfig().getDateTimeProvider().getCurrentTimeMillis();
    ZonedDateTime now = ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    return StrftimeFormatter.format(now, format, Locale.ROOT);
  }

  /** An error that a template raised on purpose; its message is the template's. */
  static final class TemplateRaisedException extends RuntimeException {
    TemplateRaisedException(String message) {
      super(message);
    }
  }

  /**
   * The {@code tojson} filter with Hugging Face's arguments, positional or named, in this order:
   * {@code ensure_ascii=False, indent=None, separators=None, sort_keys=False}.
   */
  static final class ToJson implements Filter {
    private static final List<String> PARAMETERS =
        List.of("ensure_ascii", "indent", "separators", "sort_keys");

    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object[] values = new Object[PARAMETERS.size()];
      for (int i = 0; i < args.length && i < values.length; i++) {
        values[i] = args[i];
      }
      for (Map.Entry<String, Object> entry : kwargs.entrySet()) {
        int index = PARAMETERS.indexOf(entry.getKey());
        if (index < 0) {
          throw new IllegalArgumentException(
              "tojson() got an unexpected keyword argument '" + entry.getKey() + "'");
        }
        values[index] = entry.getValue();
      }
      return PythonJson.dumps(var, options(values));
    }

    private static PythonJson.Options options(Object[] values) {
      boolean ensureAscii = Boolean.TRUE.equals(values[0]);
      String indent = indentText(values[1]);
      String itemSeparator = indent == null ? ", " : ",";
      String keySeparator = ": ";
      if (values[2] instanceof List<?> separators && separators.size() == 2) {
        itemSeparator = String.valueOf(separators.get(0));
        keySeparator = String.valueOf(separators.get(1));
      } else if (values[2] != null) {
        throw new IllegalArgumentException(
            "tojson() separators must be a pair of strings, found " + values[2]);
      }
      boolean sortKeys = Boolean.TRUE.equals(values[3]);
      return new PythonJson.Options(indent, itemSeparator, keySeparator, sortKeys, ensureAscii);
    }

    /** Returns the indent as Python's json module reads it: a count of spaces or a string. */
    private static String indentText(Object indent) {
      if (indent == null) {
        return null;
      }
      if (indent instanceof Number number) {
        return " ".repeat(Math.max(0, number.intValue()));
      }
      return indent.toString();
    }
  }

  /** The {@code items} filter of Jinja2 3.1: the (key, value) pairs of a mapping. */
  static final class Items implements Filter {
    @Override
    public String getName() {
      return "items";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      if (var == null) {
        return List.of();
      }
      if (!(var instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException(
            "items filter needs a mapping, found " + var.getClass().getSimpleName());
      }
      Collection<Map.Entry<Object, Object>> pairs = new ArrayList<>();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        pairs.add(new AbstractMap.SimpleImmutableEntry<>(entry.getKey(), entry.getValue()));
      }
      return pairs;
    }
  }

  /**
   * The {@code string} filter with Python's {@code str()}: {@code True}, {@code None}, {@code
   * 1e-05}.
   */
  static final class PythonString implements Filter {
    @Override
    public String getName() {
      return "string";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return PythonText.str(var);
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      return PythonText.str(var);
    }
  }
}
