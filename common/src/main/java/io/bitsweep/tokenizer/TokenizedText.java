package io.bitsweep.tokenizer;

import java.util.Arrays;
import java.util.Locale;

/**
 * Token ids of one text and, per token, the span of the text it came from as UTF-16 indices into
 * the Java string: {@code [charStart[i], charEnd[i])}. A token that no character produced, such as
 * a BOS added by the post-processor, has start and end {@code -1}.
 */
public record TokenizedText(int[] ids, int[] charStart, int[] charEnd) {
  public TokenizedText {
    if (ids.length != charStart.length || ids.length != charEnd.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "ids, charStart and charEnd must have one entry per token: found %d, %d and %d",
              ids.length,
              charStart.length,
              charEnd.length));
    }
    ids = ids.clone();
    charStart = charStart.clone();
    charEnd = charEnd.clone();
  }

  /** Returns the number of tokens. */
  public int length() {
    return ids.length;
  }

  /** Returns true when token {@code i} came from at least one character of the text. */
  public boolean hasSpan(int i) {
    return charStart[i] >= 0;
  }

  @Override
  public int[] ids() {
    return ids.clone();
  }

  @Override
  public int[] charStart() {
    return charStart.clone();
  }

  @Override
  public int[] charEnd() {
    return charEnd.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TokenizedText that
        && Arrays.equals(ids, that.ids)
        && Arrays.equals(charStart, that.charStart)
        && Arrays.equals(charEnd, that.charEnd);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(ids) + Arrays.hashCode(charStart)) + Arrays.hashCode(charEnd);
  }

  @Override
  public String toString() {
    return "TokenizedText" + Arrays.toString(ids);
  }
}
