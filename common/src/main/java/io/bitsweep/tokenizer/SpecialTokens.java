package io.bitsweep.tokenizer;

/** Whether encoding adds the special tokens that the tokenizer's post-processor defines. */
public enum SpecialTokens {
  /**
   * Adds the post-processor's tokens, for example a leading BOS, as Hugging Face does by default.
   */
  ADD,
  /** Encodes the text alone. */
  NONE
}
