package io.bitsweep.calibration;

import java.util.regex.Pattern;

/** Checks shared by the sample records. */
final class SampleChecks {
  /** Categories are lowercase words, so they can name table columns and chart series. */
  static final Pattern CATEGORY = Pattern.compile("[a-z][a-z0-9_]*");

  private SampleChecks() {}

  static void requireIdAndCategory(String id, String category, String source) {
    if (id == null || id.isBlank()) {
      throw new CalibrationException(
          "Cannot use the sample at "
              + source
              + ": its id is missing or blank; give every sample a"
              + " unique \"id\", because results are joined on it");
    }
    if (category == null || !CATEGORY.matcher(category).matches()) {
      throw new CalibrationException(
          "Cannot use sample "
              + id
              + " ("
              + source
              + "): category \""
              + category
              + "\" is not a"
              + " lowercase word such as dialogue, code or tool_call");
    }
  }
}
