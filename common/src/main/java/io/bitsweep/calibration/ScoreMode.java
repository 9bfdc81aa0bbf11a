package io.bitsweep.calibration;

/**
 * The choice of positions to score in a conversation sample. Plain-text samples score every
 * position.
 */
public enum ScoreMode {
  /**
   * Scores a position when the token after it lies in an assistant turn: the content, tool calls,
   * any thinking block and the end-of-turn marker, but not the prompt, the tool definitions or the
   * other messages. This is the default, because a quantized model is judged on what it writes.
   */
  ASSISTANT,
  /** Scores every position that has a next token. */
  ALL
}
