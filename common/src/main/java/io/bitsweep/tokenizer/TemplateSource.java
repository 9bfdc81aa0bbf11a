package io.bitsweep.tokenizer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a Jinja2 chat template into source that jinjava 2.8 renders as Jinja2 does with Hugging
 * Face's settings. It fixes these differences found on Hugging Face templates:
 *
 * <ul>
 *   <li>Whitespace: jinjava's {@code lstrip_blocks} strips spaces before any tag rather than only
 *       at the start of a line, and it trims around comments differently. So this class applies
 *       Jinja2's rules itself (the {@code -} and {@code +} signs inside tag delimiters, {@code
 *       lstrip_blocks} and {@code trim_blocks} on blocks and comments, as in Jinja2 3.1's lexer),
 *       removes comments and whitespace-control signs, and jinjava runs with both options off.
 *   <li>jinjava's parser lacks the reversed slice {@code x[::-1]}, so inside tags it becomes {@code
 *       (x|reverse)} when {@code x} is a name or dotted name.
 *   <li>jinjava binds a keyword argument more tightly than arithmetic, reading {@code
 *       namespace(last=messages|length - 1)} as {@code (last=messages|length) - 1}, so the value of
 *       each keyword argument in a call gets parentheses. Tags {@code macro} and {@code call} are
 *       left alone, because jinjava parses their defaults separately.
 *   <li>Jinja2 drops one final line break of the source unless {@code keep_trailing_newline} is
 *       set.
 * </ul>
 *
 * <p>Text inside {@code {% raw %}} blocks and inside string literals of tags stays as it is.
 */
final class TemplateSource {
  private static final Pattern REVERSED_SLICE =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)\\[::-1\\]");
  private static final Pattern RAW_START = Pattern.compile("\\{%[-+]?\\s*raw\\s*[-+]?%\\}");
  private static final Pattern RAW_END = Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%\\}");
  private static final Pattern MACRO_OR_CALL = Pattern.compile("\\s*(macro|call)\\b");

  private final String source;
  private final StringBuilder out = new StringBuilder();
  private int position;

  /** The index in {@link #out} at which the text since the last tag starts. */
  private int textStart;

  /** Whether the last tag consumed a line break, so the next text starts a line (Jinja2 rule). */
  private boolean lineStarting = true;

  private TemplateSource(String source) {
    this.source = source;
  }

  /**
   * Returns the rewritten source.
   *
   * @throws ChatTemplateException when a comment, tag or raw block is not closed
   */
  static String prepare(String source) {
    String trimmed = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
    TemplateSource rewriter = new TemplateSource(trimmed);
    rewriter.run();
    return rewriter.out.toString();
  }

  private void run() {
    while (position < source.length()) {
      if (source.startsWith("{#", position)) {
        comment();
      } else if (source.startsWith("{{", position)) {
        String inner = tag("}}", false);
        out.append("{{").append(rewriteExpression(inner)).append("}}");
        endTag();
      } else if (source.startsWith("{%", position)) {
        boolean raw = RAW_START.matcher(source).region(position, source.length()).lookingAt();
        String inner = tag("%}", true);
        out.append("{%").append(rewriteBlock(inner)).append("%}");
        if (raw) {
          rawContent();
        }
        endTag();
      } else {
        out.append(source.charAt(position++));
      }
    }
  }

  private void comment() {
    int end = source.indexOf("#}", position + 2);
    if (end < 0) {
      throw unclosed("comment", "#}");
    }
    String body = source.substring(position + 2, end);
    char left = body.isEmpty() ? 0 : body.charAt(0);
    char right = body.length() > 1 ? body.charAt(body.length() - 1) : 0;
    stripBefore(left, true);
    position = end + 2;
    stripAfter(right, true);
    endTag();
  }

  /**
   * Reads the tag at {@link #position}, applies the whitespace rules around it, and returns its
   * inside without the whitespace-control signs.
   */
  private String tag(String close, boolean block) {
    int end = tagEnd(position + 2, close);
    String inner = source.substring(position + 2, end - close.length());
    char left = inner.isEmpty() ? 0 : inner.charAt(0);
    char right = inner.length() > 1 ? inner.charAt(inner.length() - 1) : 0;
    stripBefore(left, block);
    position = end;
    stripAfter(right, block);
    int from = isSign(left) ? 1 : 0;
    int to = isSign(right) && inner.length() > from ? inner.length() - 1 : inner.length();
    return inner.substring(from, to);
  }

  /** Applies a tag's opening sign ({@code -} or {@code +}) or, for blocks and comments, lstrip. */
  private void stripBefore(char sign, boolean block) {
    if (sign == '-') {
      int end = out.length();
      while (end > textStart && Character.isWhitespace(out.charAt(end - 1))) {
        end--;
      }
      out.setLength(end);
    } else if (sign != '+' && block) {
      int lineStart = out.lastIndexOf("\n") + 1;
      boolean startsLine = lineStart > textStart || lineStarting;
      int from = Math.max(lineStart, textStart);
      if (startsLine && from < out.length() && isBlank(out, from)) {
        out.setLength(from);
      }
    }
  }

  /** Applies a tag's closing sign ({@code -} or {@code +}) or, for blocks and comments, trim. */
  private void stripAfter(char sign, boolean block) {
    lineStarting = false;
    if (sign == '-') {
      int start = position;
      while (position < source.length() && Character.isWhitespace(source.charAt(position))) {
        position++;
      }
      lineStarting = position > start && source.charAt(position - 1) == '\n';
    } else if (sign != '+'
        && block
        && position < source.length()
        && source.charAt(position) == '\n') {
      position++;
      lineStarting = true;
    }
  }

  private void endTag() {
    textStart = out.length();
  }

  private static boolean isSign(char c) {
    return c == '-' || c == '+';
  }

  private static boolean isBlank(CharSequence text, int from) {
    for (int i = from; i < text.length(); i++) {
      if (!Character.isWhitespace(text.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static String rewriteExpression(String inner) {
    return wrapKeywordValues(REVERSED_SLICE.matcher(inner).replaceAll("($1|reverse)"));
  }

  private static String rewriteBlock(String inner) {
    String sliced = REVERSED_SLICE.matcher(inner).replaceAll("($1|reverse)");
    return MACRO_OR_CALL.matcher(sliced).lookingAt() ? sliced : wrapKeywordValues(sliced);
  }

  /** Returns the index just past {@code close}, skipping string literals. */
  private int tagEnd(int from, String close) {
    char quote = 0;
    for (int i = from; i < source.length(); i++) {
      char c = source.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (source.startsWith(close, i)) {
        return i + close.length();
      }
    }
    throw unclosed("tag", close);
  }

  /** Copies a raw block's content up to its {@code endraw} tag, which the main loop then reads. */
  private void rawContent() {
    Matcher end = RAW_END.matcher(source);
    if (!end.find(position)) {
      throw unclosed("raw block", "{% endraw %}");
    }
    endTag();
    out.append(source, position, end.start());
    position = end.start();
  }

  /** Puts the value of each {@code name=value} argument inside call parentheses in parentheses. */
  static String wrapKeywordValues(String tag) {
    StringBuilder wrapped = new StringBuilder(tag.length() + 8);
    Deque<Character> brackets = new ArrayDeque<>();
    Deque<Integer> openValues = new ArrayDeque<>();
    char quote = 0;
    for (int i = 0; i < tag.length(); i++) {
      char c = tag.charAt(i);
      if (quote != 0) {
        wrapped.append(c);
        if (c == '\\' && i + 1 < tag.length()) {
          wrapped.append(tag.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      boolean endsValue = c == ',' || c == ')' || c == ']' || c == '}';
      if (endsValue && !openValues.isEmpty() && openValues.peek() == brackets.size()) {
        wrapped.append(')');
        openValues.pop();
      }
      wrapped.append(c);
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '[' || c == '{') {
        brackets.push(c);
      } else if ((c == ')' || c == ']' || c == '}') && !brackets.isEmpty()) {
        brackets.pop();
      } else if (c == '=' && isKeywordAssignment(tag, i, brackets)) {
        wrapped.append('(');
        openValues.push(brackets.size());
      }
    }
    return wrapped.toString();
  }

  /** Returns true when the {@code =} at {@code index} follows an argument name inside a call. */
  private static boolean isKeywordAssignment(String tag, int index, Deque<Character> brackets) {
    if (brackets.isEmpty() || brackets.peek() != '(') {
      return false;
    }
    if (index + 1 < tag.length() && tag.charAt(index + 1) == '=') {
      return false;
    }
    int before = index - 1;
    while (before >= 0 && Character.isWhitespace(tag.charAt(before))) {
      before--;
    }
    if (before < 0) {
      return false;
    }
    char previous = tag.charAt(before);
    return Character.isLetterOrDigit(previous) || previous == '_';
  }

  private ChatTemplateException unclosed(String what, String close) {
    int line = 1 + (int) source.substring(0, position).chars().filter(c -> c == '\n').count();
    return new ChatTemplateException(
        "Cannot parse the chat template: the "
            + what
            + " at line "
            + line
            + " has no closing "
            + close);
  }
}
