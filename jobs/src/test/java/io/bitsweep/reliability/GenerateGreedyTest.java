package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import io.bitsweep.eval.CandidateFactory;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.tokenizer.SpecialTokens;
import io.bitsweep.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code bitsweep generate} on the trained tiny models prints the prompt and its greedy
 * continuation. The test computes that continuation without a decode cache: each step runs the
 * whole sequence from position 0 and appends the argmax of the last row. On a folder written by
 * write-mlx, generate runs the quantized weights.
 */
class GenerateGreedyTest {
  private static final String PROMPT = "One day, a little girl went to the park";

  private static final int MAX_TOKENS = 30;

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {SharedModels.QWEN35_TINY, SharedModels.LLAMA_TINY})
  void generatePrintsGreedyContinuation(String modelName) {
    Path folder = SharedModels.require(modelName);
    String expected;
    try (LanguageModel model = LanguageModel.open(folder)) {
      expected = expectedOutput(model, folder);
    }

    assertGeneratePrints(folder, expected);
  }

  /**
   * generate on a folder written by write-mlx runs the quantized model. The expected continuation
   * comes from the fake-quantized checkpoint that the sweep measures for the same configuration.
   */
  @Test
  void generateRunsWrittenMlxFolder() throws IOException {
    Path folder = SharedModels.require(SharedModels.QWEN35_TINY);
    String json = "{\"default\": {\"bits\": 3, \"group_size\": 64}}";
    Path config = Files.writeString(tmp.resolve("3bit.json"), json);
    Path mlx = tmp.resolve("mlx");
    Cli.Result written =
        Cli.run(
            "write-mlx",
            "--model", folder.toString(),
            "--config", config.toString(),
            "--out", mlx.toString());
    assertThat(written.status()).as("exit status of write-mlx").isZero();

    String expected;
    try (LanguageModel original = LanguageModel.open(folder)) {
      Checkpoint checkpoint = ((CheckpointWeights) original.weights()).checkpoint();
      CandidateFactory factory =
          new CandidateFactory(
              original.config(),
              original.weights(),
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()),
              new FakeQuantCache(64L << 20));
      QuantConfig quantConfig = QuantConfig.parse(json, "3-bit test configuration");
      LanguageModel measured =
          new LanguageModel(original.config(), factory.candidate(quantConfig).weights());
      String unquantized = expectedOutput(original, folder);
      expected = expectedOutput(measured, folder);
      assertThat(expected).as("3-bit continuation against bf16").isNotEqualTo(unquantized);
    }

    assertGeneratePrints(mlx, expected);
  }

  /** Runs generate on {@code folder} and checks that it prints exactly {@code expected}. */
  private static void assertGeneratePrints(Path folder, String expected) {
    Cli.Result result =
        Cli.run(
            "generate",
            "--model", folder.toString(),
            "--prompt", PROMPT,
            "--max-tokens", Integer.toString(MAX_TOKENS));

    assertThat(result.status()).as("exit status; stderr:%n%s", result.stderr()).isZero();
    assertThat(result.stdout()).as("stdout").startsWith(PROMPT);
    assertThat(result.stdout()).as("stdout").isEqualTo(expected + System.lineSeparator());
  }

  /**
   * Returns what generate should print for {@code model}: the prompt and its greedy continuation
   * decoded together, without a leading BOS, with the tokenizer of {@code tokenizerFolder}.
   */
  private static String expectedOutput(LanguageModel model, Path tokenizerFolder) {
    try (Tokenizer tokenizer = Tokenizer.load(tokenizerFolder)) {
      int[] prompt = tokenizer.encode(PROMPT, SpecialTokens.ADD);
      int[] continuation = greedyByPrefill(model, prompt, tokenizer.eosTokenIds());
      assertThat(continuation).as("greedy continuation by prefill").isNotEmpty();

      int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
      System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
      boolean startsWithBos =
          tokenizer.bosTokenId().isPresent() && all[0] == tokenizer.bosTokenId().getAsInt();
      int from = startsWithBos ? 1 : 0;
      return tokenizer.decode(Arrays.copyOfRange(all, from, all.length));
    }
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
