package io.bitsweep.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;
import java.util.AbstractList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.commons.lang3.tuple.Pair;

/**
 * jinjava's {@code for} tag with two Jinja2 features that Hugging Face chat templates use and
 * jinjava 2.8 lacks: a filter clause ({@code {% for key in tool if key not in handled %}}), which
 * drops items before the loop so that {@code loop.index} and {@code loop.last} count only the kept
 * ones, and {@code loop.previtem} and {@code loop.nextitem}, which {@link SandboxResolver} reads
 * through {@link #neighbour}.
 */
final class PythonForTag extends ForTag {
  /** The loops being rendered on this thread, innermost first. */
  private static final ThreadLocal<Deque<LoopState>> LOOPS =
      ThreadLocal.withInitial(ArrayDeque::new);

  /** The items of one loop, the index of the current one, and the jinjava loop object. */
  private static final class LoopState {
    final List<Object> items;
    int index = -1;
    ForLoop loop;

    LoopState(List<Object> items) {
      this.items = items;
    }
  }

  @Override
  public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
    Pair<List<String>, String> varsAndExpression =
        getLoopVarsAndExpression((TagToken) tagNode.getMaster());
    List<String> loopVars = varsAndExpression.getLeft();
    String[] expressionAndCondition = splitCondition(varsAndExpression.getRight());
    Object collection =
        interpreter.resolveELExpression(expressionAndCondition[0], tagNode.getLineNumber());
    List<Object> items = materialize(collection);
    if (expressionAndCondition[1] != null) {
      items = keepMatching(items, loopVars, expressionAndCondition[1], interpreter, tagNode);
    }
    LoopState state = new LoopState(items);
    Deque<LoopState> loops = LOOPS.get();
    loops.push(state);
    try {
      return renderForCollection(tagNode, interpreter, loopVars, new TrackedItems(state));
    } finally {
      loops.pop();
    }
  }

  /**
   * Returns the item {@code offset} places from the current one of the loop {@code loop} (-1 for
   * {@code previtem}, 1 for {@code nextitem}), or null when there is none, as Jinja2 returns
   * undefined.
   */
  static Object neighbour(ForLoop loop, int offset) {
    for (LoopState state : LOOPS.get()) {
      if (state.loop == loop) {
        int index = state.index + offset;
        return index >= 0 && index < state.items.size() ? state.items.get(index) : null;
      }
    }
    return null;
  }

  /**
   * Splits {@code items if condition} at its top-level {@code if}; Jinja2 allows no conditional
   * expression there, so such an {@code if} always starts a filter. The condition is null when
   * there is none.
   */
  static String[] splitCondition(String expression) {
    int depth = 0;
    char quote = 0;
    for (int i = 0; i < expression.length(); i++) {
      char c = expression.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (depth == 0 && expression.startsWith(" if ", i)) {
        return new String[] {expression.substring(0, i).trim(), expression.substring(i + 4).trim()};
      }
    }
    return new String[] {expression, null};
  }

  private static List<Object> materialize(Object collection) {
    ForLoop loop = ObjectIterator.getLoop(collection);
    List<Object> items = new ArrayList<>();
    while (loop.hasNext()) {
      items.add(loop.next());
    }
    return items;
  }

  private static List<Object> keepMatching(
      List<Object> items,
      List<String> loopVars,
      String condition,
      JinjavaInterpreter interpreter,
      TagNode tagNode) {
    List<Object> kept = new ArrayList<>();
    for (Object item : items) {
      try (JinjavaInterpreter.InterpreterScopeClosable scope = interpreter.enterScope()) {
        bind(loopVars, interpreter.wrap(item), interpreter);
        Object result = interpreter.resolveELExpression(condition, tagNode.getLineNumber());
        if (ObjectTruthValue.evaluate(result)) {
          kept.add(item);
        }
      }
    }
    return kept;
  }

  /** Binds the loop variables to an item, unpacking map entries and lists for several names. */
  private static void bind(List<String> loopVars, Object item, JinjavaInterpreter interpreter) {
    if (loopVars.size() == 1) {
      interpreter.getContext().put(loopVars.get(0), item);
      return;
    }
    List<?> parts =
        item instanceof Map.Entry<?, ?> entry
            ? Arrays.asList(entry.getKey(), entry.getValue())
            : item instanceof List<?> list ? list : List.of();
    for (int i = 0; i < loopVars.size(); i++) {
      interpreter.getContext().put(loopVars.get(i), i < parts.size() ? parts.get(i) : null);
    }
  }

  /** The loop's items, whose iterator records the current index in the loop state. */
  private static final class TrackedItems extends AbstractList<Object> {
    private final LoopState state;

    TrackedItems(LoopState state) {
      this.state = state;
    }

    @Override
    public Object get(int index) {
      return state.items.get(index);
    }

    @Override
    public int size() {
      return state.items.size();
    }

    @Override
    public Iterator<Object> iterator() {
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return state.index + 1 < state.items.size();
        }

        @Override
        public Object next() {
          if (state.loop == null) {
            // ForTag stored its loop object in the context before asking for the first item.
            state.loop = (ForLoop) JinjavaInterpreter.getCurrent().getContext().get(LOOP);
          }
          state.index++;
          return state.items.get(state.index);
        }
      };
    }
  }
}
