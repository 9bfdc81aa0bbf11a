package io.bitsweep.calibration;

/**
 * A plain-text sample, such as a source file or a document. Every position is scored.
 *
 * @param id the unique sample id
 * @param category the category, for example {@code code}
 * @param source where the sample was read, for messages
 * @param text the text, tokenized as it is
 */
public record TextSample(String id, String category, String source, String text)
    implements CalibrationSample {
  public TextSample {
    SampleChecks.requireIdAndCategory(id, category, source);
    if (text == null || text.isEmpty()) {
      throw new CalibrationException(
          "Cannot use sample " + id + " (" + source + "): its text is empty");
    }
  }
}
