package io.bitsweep.calibration;

import io.bitsweep.tokenizer.ChatTemplate;
import io.bitsweep.tokenizer.ChatTemplateException;
import io.bitsweep.tokenizer.GenerationPrompt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds where each assistant turn lies in a conversation rendered by a chat template, for any
 * template and without parsing its output.
 *
 * <p>The method: render the conversation once as it is. For each assistant message, render it again
 * with that message changed in a way no template can hide: private-use characters around its
 * content, and an extra last argument on its last tool call. The two renders differ exactly where
 * the template printed the message's data. That region is then widened to the whole turn: back to
 * the end of the generation prompt (the text that {@code add_generation_prompt} adds after the
 * earlier messages, such as {@code <|im_start|>assistant\n}), so that tool-call openings and
 * thinking blocks count, and forward through the end-of-turn marker (such as {@code <|im_end|>}),
 * found once per template by rendering a two-message probe. A template that renders an earlier turn
 * differently once later messages follow (Qwen3 drops old reasoning) does not matter, because every
 * region is measured in the full render.
 */
final class AssistantSpans {
  private static final Logger LOG = LoggerFactory.getLogger(AssistantSpans.class);

  /** Marks the start of an assistant message's content in the changed render. */
  static final char OPEN = '\uE000';

  /** Marks the end of an assistant message's content or last tool-call arguments. */
  static final char CLOSE = '\uE001';

  /**
   * The maximum number of characters between a message's data and its end-of-turn marker: room for
   * the closing tags of a tool call, such as {@code </parameter></function></tool_call>}.
   */
  static final int MAX_CLOSING_CHARS = 200;

  /** A region {@code [start, end)} of the rendered text, in UTF-16 indices. */
  record Span(int start, int end) {
    Span {
      if (start < 0 || end < start) {
        throw new IllegalArgumentException("invalid span [" + start + ", " + end + ")");
      }
    }
  }

  /** A conversation's render and the region of each assistant turn in it, in order. */
  record Located(String text, List<Span> spans) {}

  private final ChatTemplate template;
  private final String endMarker;

  AssistantSpans(ChatTemplate template) {
    this.template = template;
    this.endMarker = probeEndMarker(template);
  }

  /** Returns the end-of-turn marker found by the probe; empty when the template has none. */
  String endMarker() {
    return endMarker;
  }

  /**
   * Renders the sample and locates its assistant turns.
   *
   * @throws ChatTemplateException when the template cannot render the sample
   */
  Located locate(ChatSample sample) {
    List<Map<String, Object>> messages = sample.templateMessages();
    List<Map<String, Object>> tools = sample.templateTools();
    String full = template.render(messages, tools, GenerationPrompt.OMIT);
    List<Span> spans = new ArrayList<>();
    int floor = 0;
    for (int k = 0; k < messages.size(); k++) {
      if (sample.messages().get(k).role() != Role.ASSISTANT) {
        continue;
      }
      String variant = template.render(changed(messages, k), tools, GenerationPrompt.OMIT);
      int prefix = commonPrefix(full, variant);
      int dataEnd = Math.max(prefix, full.length() - commonSuffix(full, variant, prefix));
      if (prefix == full.length() && prefix == variant.length()) {
        LOG.debug("Sample {}: the template does not render messages[{}]", sample.id(), k);
        continue;
      }
      int start = turnStart(messages, tools, k, full, prefix, floor);
      int end = turnEnd(full, dataEnd);
      spans.add(new Span(start, end));
      floor = end;
    }
    return new Located(full, spans);
  }

  /** Returns a copy of the messages with message {@code k}'s data marked. */
  private static List<Map<String, Object>> changed(List<Map<String, Object>> messages, int k) {
    List<Map<String, Object>> copy = new ArrayList<>(messages);
    Map<String, Object> message = new LinkedHashMap<>(messages.get(k));
    Object content = message.get("content");
    List<?> calls = (List<?>) message.get("tool_calls");
    boolean hasContent = content instanceof String text && !text.isEmpty();
    if (hasContent) {
      message.put("content", OPEN + (String) content + CLOSE);
    }
    if (calls != null && !calls.isEmpty()) {
      List<Object> changedCalls = new ArrayList<>(calls);
      changedCalls.set(calls.size() - 1, withMarkedArguments(calls.get(calls.size() - 1)));
      message.put("tool_calls", changedCalls);
    } else if (!hasContent) {
      message.put("content", String.valueOf(OPEN));
    }
    copy.set(k, message);
    return copy;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> withMarkedArguments(Object call) {
    Map<String, Object> changedCall = new LinkedHashMap<>((Map<String, Object>) call);
    Map<String, Object> function =
        new LinkedHashMap<>((Map<String, Object>) changedCall.get("function"));
    Object arguments = function.get("arguments");
    if (arguments instanceof Map<?, ?> map) {
      Map<String, Object> marked = new LinkedHashMap<>((Map<String, Object>) map);
      marked.put(String.valueOf(CLOSE), 0);
      function.put("arguments", marked);
    } else {
      function.put("arguments", arguments + String.valueOf(CLOSE));
    }
    changedCall.put("function", function);
    return changedCall;
  }

  /**
   * Returns the end of the generation prompt that opens turn {@code k}, searched backwards from the
   * turn's first changed character, or that character when no generation prompt is found.
   */
  private int turnStart(
      List<Map<String, Object>> messages,
      List<Map<String, Object>> tools,
      int k,
      String full,
      int prefix,
      int floor) {
    String prompt = generationPrompt(messages.subList(0, k), tools);
    for (String header : headerCandidates(prompt)) {
      int at = full.lastIndexOf(header, prefix - header.length());
      if (at >= floor) {
        return at + header.length();
      }
    }
    LOG.debug("No generation prompt {} found before offset {}", prompt, prefix);
    return prefix;
  }

  /**
   * Returns the generation prompt in full, then its first line, such as "<|im_start|>assistant\n".
   */
  private static List<String> headerCandidates(String prompt) {
    List<String> candidates = new ArrayList<>();
    if (!prompt.isEmpty()) {
      candidates.add(prompt);
      int lineEnd = prompt.indexOf('\n');
      if (lineEnd >= 0 && lineEnd + 1 < prompt.length()) {
        candidates.add(prompt.substring(0, lineEnd + 1));
      }
    }
    return candidates;
  }

  /** Returns the text that {@code add_generation_prompt} appends after {@code messages}. */
  private String generationPrompt(
      List<Map<String, Object>> messages, List<Map<String, Object>> tools) {
    if (messages.isEmpty()) {
      return "";
    }
    try {
      String without = template.render(messages, tools, GenerationPrompt.OMIT);
      String with = template.render(messages, tools, GenerationPrompt.ADD);
      return with.startsWith(without) ? with.substring(without.length()) : "";
    } catch (ChatTemplateException e) {
      // Some templates reject a conversation that ends early; the changed region then starts the
      // turn.
      LOG.debug("Cannot render the conversation before an assistant turn: {}", e.getMessage());
      return "";
    }
  }

  /** Returns the end of the turn: through the end-of-turn marker if it closely follows the data. */
  private int turnEnd(String full, int dataEnd) {
    if (endMarker.isEmpty()) {
      return dataEnd;
    }
    int at = full.indexOf(endMarker, dataEnd);
    if (at < 0 || at - dataEnd > MAX_CLOSING_CHARS) {
      return dataEnd;
    }
    return at + endMarker.length();
  }

  /**
   * Renders a user message and an assistant message and returns what follows the assistant's
   * content up to the end of that line, without trailing whitespace: the end-of-turn marker.
   */
  static String probeEndMarker(ChatTemplate template) {
    String user = "\uE002";
    String reply = "\uE003";
    String text;
    try {
      text =
          template.render(
              List.of(
                  Map.of("role", "user", "content", user),
                  Map.of("role", "assistant", "content", reply)),
              null,
              GenerationPrompt.OMIT);
    } catch (ChatTemplateException e) {
      LOG.warn(
          "Chat template {} rejects a user and assistant probe ({}); assistant turns will end"
              + " at their content, without an end-of-turn marker",
          template.origin(),
          e.getMessage());
      return "";
    }
    int at = text.lastIndexOf(reply);
    if (at < 0) {
      return "";
    }
    String after = text.substring(at + reply.length());
    int firstText = 0;
    while (firstText < after.length() && Character.isWhitespace(after.charAt(firstText))) {
      firstText++;
    }
    int lineEnd = after.indexOf('\n', firstText);
    return (lineEnd < 0 ? after : after.substring(0, lineEnd)).stripTrailing();
  }

  static int commonPrefix(String a, String b) {
    int limit = Math.min(a.length(), b.length());
    int i = 0;
    while (i < limit && a.charAt(i) == b.charAt(i)) {
      i++;
    }
    return i;
  }

  /**
   * Returns the length of the common suffix that does not reach back into the first {@code prefix}
   * chars.
   */
  static int commonSuffix(String a, String b, int prefix) {
    int limit = Math.min(a.length(), b.length()) - prefix;
    int i = 0;
    while (i < limit && a.charAt(a.length() - 1 - i) == b.charAt(b.length() - 1 - i)) {
      i++;
    }
    return i;
  }
}
