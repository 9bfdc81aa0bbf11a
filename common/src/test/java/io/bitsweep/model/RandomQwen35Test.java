package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.FakeQuantWeights;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.Disposition;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.tokenizer.ChatTemplate;
import io.bitsweep.tokenizer.GenerationPrompt;
import io.bitsweep.tokenizer.SpecialTokens;
import io.bitsweep.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the generated random Qwen3.5 model: its files, its shapes and its output distributions.
 */
class RandomQwen35Test {
  @TempDir static Path tmp;

  private static Path folder;

  @BeforeAll
  static void generate() throws IOException {
    folder = RandomQwen35.write(tmp.resolve("first"));
  }

  @Test
  void writeTwiceGivesIdenticalFiles() throws IOException {
    Path second = RandomQwen35.write(tmp.resolve("second"));

    List<String> names = fileNames(folder);
    assertThat(fileNames(second)).as("files of the second generation").isEqualTo(names);
    assertThat(names)
        .contains(
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "generation_config.json");
    for (String name : names) {
      assertThat(Files.mismatch(folder.resolve(name), second.resolve(name)))
          .as("first differing byte of %s", name)
          .isEqualTo(-1L);
    }
    assertThat(Checkpoint.contentHash(second)).isEqualTo(Checkpoint.contentHash(folder));
  }

  @Test
  void folderOpensAsUntiedQwen35() {
    try (LanguageModel model = LanguageModel.open(folder);
        Tokenizer tokenizer = Tokenizer.load(folder)) {
      ModelConfig config = model.config();
      assertThat(config.architecture()).isEqualTo(Architecture.QWEN3_5);
      assertThat(config.numHiddenLayers()).isEqualTo(4);
      assertThat(config.layerType(0)).isEqualTo(LayerType.LINEAR_ATTENTION);
      assertThat(config.layerType(3)).isEqualTo(LayerType.FULL_ATTENTION);
      assertThat(config.headTensor()).as("head tensor").isEqualTo(ModelConfig.LM_HEAD);
      assertThat(config.vocabSize())
          .as("vocab_size against the tokenizer's ids")
          .isEqualTo(tokenizer.vocabSize());

      float[] logits = model.logits(new int[] {257, 104, 105, 258});
      assertThat(logits).hasSize(4 * config.vocabSize());
      for (float value : logits) {
        assertThat(Float.isFinite(value)).as("logit %s is finite", value).isTrue();
      }
    }
  }

  @Test
  void quantizedTensorsFitEveryGroupSize() {
    try (Checkpoint checkpoint = Checkpoint.open(folder)) {
      HeadTying tying = HeadTying.detect(checkpoint.configJson(), checkpoint.tensors());
      assertThat(tying).isEqualTo(HeadTying.UNTIED);
      for (int groupSize : new int[] {32, 64, 128}) {
        QuantPlan plan =
            QuantPlan.resolve(
                QuantConfig.uniform(QuantSetting.affine(4, groupSize)),
                checkpoint.tensors(),
                tying);
        List<QuantPlan.Entry> quantized =
            plan.entries().values().stream()
                .filter(entry -> entry.disposition() == Disposition.QUANTIZED)
                .toList();
        assertThat(quantized)
            .as("quantized tensors at group size %d", groupSize)
            .extracting(QuantPlan.Entry::name)
            .contains(
                "lm_head.weight",
                "model.language_model.embed_tokens.weight",
                "model.language_model.layers.0.linear_attn.in_proj_qkv.weight",
                "model.language_model.layers.3.self_attn.o_proj.weight",
                "model.language_model.layers.3.mlp.down_proj.weight");
        for (QuantPlan.Entry entry : quantized) {
          long[] shape = entry.info().shape();
          assertThat(shape[shape.length - 1] % 128)
              .as("input dimension of %s, %s", entry.name(), Arrays.toString(shape))
              .isZero();
        }
      }
    }
  }

  /**
   * The head gain must make the next-token distributions peaked, so that quantization error shows
   * as KLD: the mean entropy stays well below the uniform distribution's log(vocab), and uniform
   * 2-bit weights move the distributions far more than 8-bit ones.
   */
  @Test
  void distributionsArePeakedAndSensitiveToBits() {
    try (Checkpoint checkpoint = Checkpoint.open(folder);
        Tokenizer tokenizer = Tokenizer.load(folder)) {
      ModelConfig config = ModelConfig.load(checkpoint);
      ForwardPass pass = new ForwardPass(config);
      int[] tokens = conversationTokens(tokenizer);
      WeightSource bf16 = new CheckpointWeights(checkpoint);
      float[] reference = pass.logits(tokens, bf16);
      int vocab = config.vocabSize();

      double entropy = meanEntropy(reference, tokens.length, vocab);
      assertThat(entropy)
          .as("mean entropy in nats; log(vocab) = %.2f", Math.log(vocab))
          .isLessThan(0.6 * Math.log(vocab));

      double eightBit = meanKld(reference, pass.logits(tokens, quantized(checkpoint, 8)), vocab);
      double twoBit = meanKld(reference, pass.logits(tokens, quantized(checkpoint, 2)), vocab);
      System.out.printf(
          Locale.ROOT,
          "random-qwen35: entropy %.3f nats, mean KLD 8-bit %.3g, 2-bit %.3g%n",
          entropy,
          eightBit,
          twoBit);
      assertThat(eightBit).as("mean KLD of uniform 8-bit").isPositive();
      assertThat(twoBit).as("mean KLD of uniform 2-bit").isGreaterThan(100 * eightBit);
      assertThat(twoBit).as("mean KLD of uniform 2-bit").isGreaterThan(0.05);
    }
  }

  private static int[] conversationTokens(Tokenizer tokenizer) {
    String text =
        ChatTemplate.load(folder)
            .render(
                List.of(
                    Map.of("role", "user", "content", "Name three rivers in Europe."),
                    Map.of(
                        "role",
                        "assistant",
                        "content",
                        "The Danube, the Rhine and the Loire. The Danube is the longest of the"
                            + " three and flows through ten countries.")),
                null,
                GenerationPrompt.OMIT);
    return tokenizer.encode(text, SpecialTokens.NONE);
  }

  private static WeightSource quantized(Checkpoint checkpoint, int bits) {
    QuantPlan plan =
        QuantPlan.resolve(
            QuantConfig.uniform(QuantSetting.affine(bits, 64)),
            checkpoint.tensors(),
            HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()));
    return new FakeQuantWeights(
        new CheckpointWeights(checkpoint), plan, new FakeQuantCache(1L << 26));
  }

  private static double meanEntropy(float[] logits, int positions, int vocab) {
    double sum = 0;
    for (int t = 0; t < positions; t++) {
      double[] logP = logSoftmax(logits, t * vocab, vocab);
      for (double value : logP) {
        sum -= Math.exp(value) * value;
      }
    }
    return sum / positions;
  }

  private static double meanKld(float[] p, float[] q, int vocab) {
    int positions = p.length / vocab;
    double sum = 0;
    for (int t = 0; t < positions; t++) {
      double[] logP = logSoftmax(p, t * vocab, vocab);
      double[] logQ = logSoftmax(q, t * vocab, vocab);
      for (int i = 0; i < vocab; i++) {
        sum += Math.exp(logP[i]) * (logP[i] - logQ[i]);
      }
    }
    return sum / positions;
  }

  private static double[] logSoftmax(float[] logits, int offset, int length) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < length; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < length; i++) {
      sum += Math.exp(logits[offset + i] - max);
    }
    double logZ = max + Math.log(sum);
    double[] result = new double[length];
    for (int i = 0; i < length; i++) {
      result[i] = logits[offset + i] - logZ;
    }
    return result;
  }

  private static List<String> fileNames(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(path -> path.getFileName().toString()).sorted().toList();
    }
  }
}
