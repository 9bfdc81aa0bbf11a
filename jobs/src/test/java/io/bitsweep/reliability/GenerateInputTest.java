package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code bitsweep generate} rejects a length beyond the model's context before decoding. */
class GenerateInputTest {
  @Test
  void maxTokensBeyondContextRejected() {
    Cli.Result result =
        Cli.run(
            "generate",
            "--model", TinyModelCopy.source().toString(),
            "--prompt", "Once upon a time",
            "--max-tokens", "600");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stdout()).as("stdout").isEmpty();
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep generate: Invalid --max-tokens 600: the prompt has 6 tokens and"
                + " max_position_embeddings in "
                + TinyModelCopy.source().resolve("config.json")
                + " is 512, so pass at most 506\n");
  }
}
