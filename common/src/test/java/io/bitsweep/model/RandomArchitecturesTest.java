package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.model.RandomCheckpoints.Variant;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every architecture through one runner, on random checkpoints. */
class RandomArchitecturesTest {
  /**
   * Max |prefill − incremental| of a logit. The vector kernels give equal rows whatever the batch;
   * a native BLAS may round differently for different row counts, by about 1e-5 here.
   */
  private static final double INCREMENTAL_TOLERANCE = 1e-4;

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Variant.class)
  void checkpointMatchesConfig(Variant variant) throws IOException {
    Path folder = RandomCheckpoints.write(variant, dir.resolve(variant.name()), 11);
    try (Checkpoint checkpoint = Checkpoint.open(folder)) {
      ModelConfig config = ModelConfig.load(checkpoint);
      config.validate(checkpoint);
      assertThat(checkpoint.tensors().keySet())
          .as("tensors written for %s", variant)
          .containsExactlyInAnyOrderElementsOf(
              config.expectedTensors().stream().map(ExpectedTensor::name).toList());
      assertThat(config.tieWordEmbeddings())
          .as("tied head of %s", variant)
          .isEqualTo(variant == Variant.QWEN3_5_FLAT_TIED || variant == Variant.LLAMA);
      String prefix =
          variant == Variant.QWEN3_5_DENSE || variant == Variant.QWEN3_5_MOE
              ? ModelConfig.LANGUAGE_MODEL_PREFIX
              : ModelConfig.TEXT_MODEL_PREFIX;
      assertThat(config.tensorPrefix()).as("prefix of %s", variant).isEqualTo(prefix);
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void logitsFiniteAndIncrementalMatchesPrefill(Variant variant) throws IOException {
    Path folder = RandomCheckpoints.write(variant, dir.resolve(variant.name()), 5);
    try (LanguageModel model = LanguageModel.open(folder)) {
      int vocab = model.config().vocabSize();
      int[] tokens = randomTokens(new Random(3), 23, vocab);

      float[] prefill = model.logits(tokens);
      assertThat(prefill).hasSize(tokens.length * vocab);
      for (float value : prefill) {
        assertThat(Float.isFinite(value)).as("finite logits of %s", variant).isTrue();
      }
      assertThat(spread(prefill)).as("logits of %s vary", variant).isGreaterThan(0.1);

      // Feed 9 tokens, then 1, 1, 5 and the rest, collecting every row.
      float[] incremental = new float[prefill.length];
      DecodeSession session = model.newSession();
      int[] cuts = {0, 9, 10, 11, 16, tokens.length};
      for (int i = 0; i + 1 < cuts.length; i++) {
        session.append(
            Arrays.copyOfRange(tokens, cuts[i], cuts[i + 1]),
            (s, position, logits, offset) ->
                System.arraycopy(logits, offset, incremental, position * vocab, vocab));
      }
      assertThat(session.position()).isEqualTo(tokens.length);
      double diff = maxAbsDiff(prefill, incremental);
      assertThat(diff)
          .as("%s: max |prefill - incremental| = %.3e", variant, diff)
          .isLessThanOrEqualTo(INCREMENTAL_TOLERANCE);
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void batchRowsEqualSingleSequences(Variant variant) throws IOException {
    Path folder = RandomCheckpoints.write(variant, dir.resolve(variant.name()), 8);
    try (LanguageModel model = LanguageModel.open(folder)) {
      ForwardPass pass = model.forwardPass();
      WeightSource w = model.weights();
      int vocab = model.config().vocabSize();
      Random random = new Random(9);
      List<int[]> batch =
          List.of(
              randomTokens(random, 7, vocab),
              randomTokens(random, 1, vocab),
              randomTokens(random, 12, vocab));

      // Run the batch layer by layer, forking a copy halfway as the sweep does.
      HiddenStates h = pass.embed(batch, w);
      int half = model.config().numHiddenLayers() / 2;
      for (int i = 0; i < half; i++) {
        pass.layer(i, h, w);
      }
      HiddenStates fork = h.copy();
      for (int i = half; i < model.config().numHiddenLayers(); i++) {
        pass.layer(i, h, w);
        pass.layer(i, fork, w);
      }
      float[][] batched = new float[batch.size()][];
      for (int s = 0; s < batch.size(); s++) {
        batched[s] = new float[batch.get(s).length * vocab];
      }
      pass.head(
          h,
          w,
          (s, position, logits, offset) ->
              System.arraycopy(logits, offset, batched[s], position * vocab, vocab));
      assertThat(fork.data())
          .as("fork of %s equals the original", variant)
          .containsExactly(h.data());

      for (int s = 0; s < batch.size(); s++) {
        float[] alone = model.logits(batch.get(s));
        assertThat(maxAbsDiff(alone, batched[s]))
            .as("%s: sequence %d alone vs in the batch", variant, s)
            .isLessThanOrEqualTo(INCREMENTAL_TOLERANCE);
      }
    }
  }

  static int[] randomTokens(Random random, int length, int vocab) {
    int[] tokens = new int[length];
    for (int i = 0; i < length; i++) {
      tokens[i] = random.nextInt(vocab);
    }
    return tokens;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    assertThat(b).hasSameSizeAs(a);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static double spread(float[] values) {
    float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
    for (float v : values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return max - min;
  }
}
