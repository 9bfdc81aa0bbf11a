package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.tokenizer.SpecialTokens;
import io.bitsweep.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code bitsweep generate} on the trained tiny models prints the prompt and its greedy
 * continuation. The test computes that continuation without a decode cache: each step runs the
 * whole sequence from position 0 and appends the argmax of the last row.
 */
class GenerateGreedyTest {
  private static final String PROMPT = "One day, a little girl went to the park";

  private static final int MAX_TOKENS = 30;

  @ParameterizedTest
  @ValueSource(strings = {SharedModels.QWEN35_TINY, SharedModels.LLAMA_TINY})
  void generatePrintsGreedyContinuation(String modelName) {
    Path folder = SharedModels.require(modelName);
    String expectedText;
    String continuationText;
    try (LanguageModel model = LanguageModel.open(folder);
        Tokenizer tokenizer = Tokenizer.load(folder)) {
      int[] prompt = tokenizer.encode(PROMPT, SpecialTokens.ADD);
      int[] continuation = greedyByPrefill(model, prompt, tokenizer.eosTokenIds());
      assertThat(continuation).as("greedy continuation by prefill").isNotEmpty();

      int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
      System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
      // The command prints prompt and continuation decoded together, without a leading BOS.
      boolean startsWithBos =
          tokenizer.bosTokenId().isPresent() && all[0] == tokenizer.bosTokenId().getAsInt();
      int from = startsWithBos ? 1 : 0;
      expectedText = tokenizer.decode(Arrays.copyOfRange(all, from, all.length));
      continuationText = tokenizer.decode(continuation).strip();
    }

    Cli.Result result =
        Cli.run(
            "generate",
            "--model", folder.toString(),
            "--prompt", PROMPT,
            "--max-tokens", Integer.toString(MAX_TOKENS));

    assertThat(result.status()).as("exit status; stderr:%n%s", result.stderr()).isZero();
    assertThat(result.stdout()).as("stdout").startsWith(PROMPT);
    assertThat(result.stdout()).as("stdout").contains(continuationText);
    assertThat(result.stdout()).as("stdout").isEqualTo(expectedText + System.lineSeparator());
  }

  /**
   * Appends the argmax of the last row of the full-sequence logits, up to {@link #MAX_TOKENS}
   * times or until an EOS id, and returns the appended ids.
   */
  private static int[] greedyByPrefill(LanguageModel model, int[] prompt, List<Integer> eos) {
    int vocab = model.config().vocabSize();
    int[] sequence = prompt.clone();
    for (int step = 0; step < MAX_TOKENS; step++) {
      float[] logits = model.logits(sequence);
      float[] last = Arrays.copyOfRange(logits, logits.length - vocab, logits.length);
      int next = LanguageModel.argmax(last);
      sequence = Arrays.copyOf(sequence, sequence.length + 1);
      sequence[sequence.length - 1] = next;
      if (eos.contains(next)) {
        break;
      }
    }
    return Arrays.copyOfRange(sequence, prompt.length, sequence.length);
  }
}
