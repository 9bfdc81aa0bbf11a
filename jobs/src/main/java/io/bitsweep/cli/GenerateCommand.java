package io.bitsweep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.tokenizer.SpecialTokens;
import io.bitsweep.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Print a greedy continuation of a prompt (incremental decoding with a cache).")
final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelMixin model = new ModelMixin();

  @Option(names = "--prompt", defaultValue = "", description = "Prompt text (default: empty, so BOS only).")
  String prompt;

  @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
  int maxTokens;

  @Override
  public Integer call() {
    if (maxTokens < 1) {
      throw new IllegalArgumentException("Invalid --max-tokens " + maxTokens + ": expected at least 1");
    }
    try (LanguageModel lm = InferenceModels.open(model.resolve());
        Tokenizer tokenizer = Tokenizer.load(model.resolve())) {
      int[] promptIds = tokenizer.encode(prompt, SpecialTokens.ADD);
      if (promptIds.length == 0) {
        promptIds = new int[] {tokenizer.bosTokenId().orElse(0)};
      }
      checkContextLength(promptIds.length, model.resolve());
      List<Integer> eos = tokenizer.eosTokenIds();
      long start = System.nanoTime();
      int[] continuation = lm.generate(promptIds, maxTokens, eos.isEmpty() ? -1 : eos.get(0));
      double seconds = (System.nanoTime() - start) / 1e9;
      // Decoding prompt and continuation together keeps the space the tokenizer puts between them.
      int[] all = Arrays.copyOf(promptIds, promptIds.length + continuation.length);
      System.arraycopy(continuation, 0, all, promptIds.length, continuation.length);
      int bos = tokenizer.bosTokenId().orElse(-1);
      int from = all.length > 0 && all[0] == bos ? 1 : 0;
      System.out.println(tokenizer.decode(Arrays.copyOfRange(all, from, all.length)));
      System.err.printf(
          Locale.ROOT,
          "%d prompt tokens, %d generated in %.2f s (%.1f tokens/s)%n",
          promptIds.length,
          continuation.length,
          seconds,
          continuation.length / seconds);
    }
    return 0;
  }

  /**
   * Rejects a prompt plus {@code --max-tokens} longer than the model's {@code
   * max_position_embeddings} (top level of config.json, or under {@code text_config}), so a large
   * value fails at once instead of decoding for minutes with a growing cache.
   */
  private void checkContextLength(int promptTokens, Path modelDir) {
    OptionalInt limit = ContextLimit.maxPositions(modelDir);
    if (limit.isEmpty()) {
      return;
    }
    long total = (long) promptTokens + maxTokens;
    if (total > limit.getAsInt()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Invalid --max-tokens %d: the prompt has %d tokens and max_position_embeddings in"
                  + " %s is %d, so pass at most %d",
              maxTokens,
              promptTokens,
              modelDir.resolve("config.json"),
              limit.getAsInt(),
              Math.max(0, limit.getAsInt() - promptTokens)));
    }
  }
}
