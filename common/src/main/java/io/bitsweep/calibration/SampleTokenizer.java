package io.bitsweep.calibration;

import io.bitsweep.tokenizer.ChatTemplate;
import io.bitsweep.tokenizer.ChatTemplateException;
import io.bitsweep.tokenizer.GenerationPrompt;
import io.bitsweep.tokenizer.SpecialTokens;
import io.bitsweep.tokenizer.TokenizedText;
import io.bitsweep.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns calibration samples into {@link TokenizedSample}s with one model's tokenizer and chat
 * template.
 *
 * <p>A conversation is rendered without a generation prompt and tokenized with the tokenizer's
 * special tokens (such as BOS) unless the render already starts with the BOS text. In {@link
 * ScoreMode#ASSISTANT} mode a position is scored when the next token overlaps an assistant turn
 * found by {@link AssistantSpans}; the token's character offsets decide the overlap. A plain-text
 * sample scores every position. Instances are thread-safe when the tokenizer is open.
 */
public final class SampleTokenizer {
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final AssistantSpans assistantSpans;
  private final TokenizationOptions options;

  /**
   * Creates a sample tokenizer; {@code template} is empty for a model without a chat template,
   * which can then tokenize only plain-text samples.
   */
  public SampleTokenizer(
      Tokenizer tokenizer, Optional<ChatTemplate> template, TokenizationOptions options) {
    this.tokenizer = tokenizer;
    this.template = template.orElse(null);
    this.assistantSpans =
        this.template != null && options.scoreMode() == ScoreMode.ASSISTANT
            ? new AssistantSpans(this.template)
            : null;
    this.options = options;
  }

  /**
   * Renders, tokenizes and masks one sample, then applies the length policy.
   *
   * @throws CalibrationException when the model has no chat template for a conversation, when the
   *     template fails on the sample, or when the sample is too long under {@link
   *     LengthPolicy#REJECT}
   */
  public TokenizedSample tokenize(CalibrationSample sample) {
    if (sample instanceof TextSample text) {
      return fromText(text);
    }
    return fromChat((ChatSample) sample);
  }

  private TokenizedSample fromText(TextSample sample) {
    int[] ids = tokenizer.encode(sample.text(), SpecialTokens.ADD);
    boolean[] mask = new boolean[ids.length];
    Arrays.fill(mask, 0, Math.max(0, ids.length - 1), true);
    return fit(sample, ids, mask);
  }

  private TokenizedSample fromChat(ChatSample sample) {
    if (template == null) {
      throw new CalibrationException(
          "Cannot tokenize sample "
              + sample.id()
              + " ("
              + sample.source()
              + "): it is a"
              + " conversation, but the model in "
              + tokenizer.modelDir()
              + " has no chat"
              + " template; use plain-text samples for this model");
    }
    try {
      if (assistantSpans == null) {
        String text =
            template.render(
                sample.templateMessages(), sample.templateTools(), GenerationPrompt.OMIT);
        int[] ids = tokenizer.encode(text, specialTokens(text));
        boolean[] mask = new boolean[ids.length];
        Arrays.fill(mask, 0, Math.max(0, ids.length - 1), true);
        return fit(sample, ids, mask);
      }
      AssistantSpans.Located located = assistantSpans.locate(sample);
      TokenizedText tokens =
          tokenizer.encodeWithOffsets(located.text(), specialTokens(located.text()));
      return fit(sample, tokens.ids(), assistantMask(tokens, located.spans()));
    } catch (ChatTemplateException e) {
      throw new CalibrationException(
          "Cannot render sample "
              + sample.id()
              + " ("
              + sample.source()
              + ") with the chat"
              + " template of "
              + template.origin()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Adds the tokenizer's special tokens unless the render already starts with the BOS text. */
  private SpecialTokens specialTokens(String text) {
    String bos = template.specialTokens().get("bos_token");
    return bos != null && !bos.isEmpty() && text.startsWith(bos)
        ? SpecialTokens.NONE
        : SpecialTokens.ADD;
  }

  /** Marks position t when token t + 1 overlaps an assistant span. */
  static boolean[] assistantMask(TokenizedText tokens, List<AssistantSpans.Span> spans) {
    int[] start = tokens.charStart();
    int[] end = tokens.charEnd();
    boolean[] mask = new boolean[tokens.length()];
    for (int next = 1; next < tokens.length(); next++) {
      mask[next - 1] = tokens.hasSpan(next) && overlaps(spans, start[next], end[next]);
    }
    return mask;
  }

  /** Returns true when {@code [from, to)} overlaps one of the sorted, disjoint spans. */
  private static boolean overlaps(List<AssistantSpans.Span> spans, int from, int to) {
    int low = 0;
    int high = spans.size() - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      AssistantSpans.Span span = spans.get(middle);
      if (span.end() <= from) {
        low = middle + 1;
      } else if (span.start() >= Math.max(to, from + 1)) {
        high = middle - 1;
      } else {
        return true;
      }
    }
    return false;
  }

  private TokenizedSample fit(CalibrationSample sample, int[] ids, boolean[] mask) {
    int max = options.maxLength();
    if (ids.length <= max) {
      return new TokenizedSample(sample.id(), sample.category(), ids, mask, ids.length);
    }
    if (options.lengthPolicy() == LengthPolicy.REJECT) {
      throw new CalibrationException(
          String.format(
              Locale.ROOT,
              "Cannot use sample %s (%s): it has %d tokens, more than the maximum length %d;"
                  + " shorten or split it, raise the maximum length, or truncate long samples",
              sample.id(),
              sample.source(),
              ids.length,
              max));
    }
    boolean[] kept = Arrays.copyOf(mask, max);
    kept[max - 1] = false;
    return new TokenizedSample(
        sample.id(), sample.category(), Arrays.copyOf(ids, max), kept, ids.length);
  }
}
