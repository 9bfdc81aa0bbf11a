package io.bitsweep.tokenizer;

import com.hubspot.jinjava.el.TypeConvertingMapELResolver;
import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.el.ext.JinjavaListELResolver;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.util.ForLoop;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ArrayELResolver;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.MethodNotFoundException;

/**
 * The expression resolver of the chat template sandbox. Templates may read map entries, list and
 * array elements and the properties of {@code loop} (with {@code previtem} and {@code nextitem}
 * from {@link PythonForTag}), call filters and tests, call the Python {@code str} methods of {@link
 * PythonStrings}, and call the Python {@code dict} and {@code list} methods that jinjava's own map
 * and list wrappers provide. Any other property reads as undefined and any other method call fails,
 * so a template cannot reach Java classes, class loaders, the interpreter or the file system.
 */
final class SandboxResolver extends CompositeELResolver {
  SandboxResolver() {
    add(new ArrayELResolver(true));
    add(new JinjavaListELResolver(true));
    add(new TypeConvertingMapELResolver(true));
    add(new AllowlistBeanResolver());
  }

  /** Python dict methods of jinjava's {@code PyMap} that templates may call. */
  static final Set<String> MAP_METHODS = Set.of("items", "keys", "values", "get", "update");

  /** Python list methods of jinjava's {@code PyList} that templates may call. */
  static final Set<String> LIST_METHODS =
      Set.of("append", "extend", "insert", "pop", "index", "count", "reverse", "copy");

  /** Methods of {@code loop} that templates may call. */
  static final Set<String> LOOP_METHODS = Set.of("cycle");

  private static final class AllowlistBeanResolver extends JinjavaBeanELResolver {
    AllowlistBeanResolver() {
      super(true);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
      if (base instanceof ForLoop loop) {
        String name = String.valueOf(property);
        if (name.equals("previtem") || name.equals("nextitem")) {
          context.setPropertyResolved(true);
          return PythonForTag.neighbour(loop, name.equals("previtem") ? -1 : 1);
        }
        return super.getValue(context, base, property);
      }
      if (base != null) {
        // Undefined, as Jinja2 reads a missing attribute.
        context.setPropertyResolved(true);
      }
      return null;
    }

    @Override
    public Object invoke(
        ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
      String name = String.valueOf(method);
      if (base instanceof String || base instanceof SafeString) {
        Object result = PythonStrings.invoke(base.toString(), name, params);
        context.setPropertyResolved(true);
        return result;
      }
      if (allowed(base, name)) {
        return super.invoke(context, base, method, paramTypes, params);
      }
      String type = base == null ? "null" : base.getClass().getSimpleName();
      throw new MethodNotFoundException(
          "Cannot call method '"
              + name
              + "' on "
              + type
              + " in a chat template: the sandbox allows only filters, tests, loop.cycle and the"
              + " Python str, dict and list methods");
    }

    private static boolean allowed(Object base, String method) {
      return (base instanceof Filter && method.equals("filter"))
          || (base instanceof ExpTest
              && (method.equals("evaluate") || method.equals("evaluateNegated")))
          || (base instanceof Map && MAP_METHODS.contains(method))
          || (base instanceof List && LIST_METHODS.contains(method))
          || (base instanceof ForLoop && LOOP_METHODS.contains(method));
    }
  }
}
