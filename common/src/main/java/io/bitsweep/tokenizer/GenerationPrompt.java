package io.bitsweep.tokenizer;

/**
 * Whether a chat render ends with the header that opens the assistant's next turn, as {@code
 * add_generation_prompt} of Hugging Face's {@code apply_chat_template} sets it.
 */
public enum GenerationPrompt {
  /** Ends with the opening of a new assistant turn, for a model that is to reply. */
  ADD,
  /** Ends after the last message, for a conversation that is complete. */
  OMIT
}
