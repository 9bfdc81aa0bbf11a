package io.bitsweep.calibration;

/**
 * One calibration sample: a chat conversation or a plain text.
 *
 * <p>The id is unique within a calibration mix and joins every table row that the sample produces,
 * so it must not change when the mix is edited. The category ({@code dialogue}, {@code code},
 * {@code tool_call} or any other word) groups the statistics on the leaderboard.
 */
public sealed interface CalibrationSample permits ChatSample, TextSample {
  /** Returns the sample id. */
  String id();

  /** Returns the category. */
  String category();

  /** Returns where the sample was read, as {@code file:line} or a file path, for messages. */
  String source();
}
