package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.model.RandomCheckpoints.Variant;
import io.bitsweep.safetensors.TensorInfo;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CachingWeightsTest {
  /** Counts the whole-tensor reads that reach the wrapped source, per tensor. */
  private static final class CountingWeights implements WeightSource {
    private final WeightSource base;
    final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();

    CountingWeights(WeightSource base) {
      this.base = base;
    }

    @Override
    public TensorInfo info(String name) {
      return base.info(name);
    }

    @Override
    public boolean contains(String name) {
      return base.contains(name);
    }

    @Override
    public float[] read(String name) {
      reads.computeIfAbsent(name, key -> new AtomicInteger()).incrementAndGet();
      return base.read(name).clone();
    }

    @Override
    public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
      base.readRows(name, firstRow, rowCount, dst, dstOffset);
    }
  }

  private static ModelConfig dense() {
    return ModelConfig.fromJson(RandomCheckpoints.config(Variant.QWEN3_5_DENSE), "config.json");
  }

  @Test
  void decodeStepsReadEachTensorOnce() {
    ModelConfig config = dense();
    CountingWeights counting = new CountingWeights(MapWeights.random(config, 5));
    DecodeSession session = new DecodeSession(new ForwardPass(config), counting);
    int[] tokens = RandomArchitecturesTest.randomTokens(new Random(3), 6, config.vocabSize());

    for (int token : tokens) {
      session.appendAndPredict(new int[] {token});
    }

    assertThat(counting.reads).as("tensors read whole").isNotEmpty();
    counting.reads.forEach(
        (name, count) -> assertThat(count.get()).as("whole reads of %s over 6 steps", name).isOne());
  }

  @Test
  void cachingDecodeEqualsPrefill() {
    ModelConfig config = dense();
    MapWeights weights = MapWeights.random(config, 9);
    int[] tokens = RandomArchitecturesTest.randomTokens(new Random(4), 7, config.vocabSize());
    float[] prefill = new ForwardPass(config).logits(tokens, weights);
    DecodeSession session = new DecodeSession(new ForwardPass(config), weights);
    int vocab = config.vocabSize();

    for (int t = 0; t < tokens.length; t++) {
      float[] step = session.appendAndPredict(new int[] {tokens[t]});
      float[] expected = Arrays.copyOfRange(prefill, t * vocab, (t + 1) * vocab);
      assertThat(RandomArchitecturesTest.maxAbsDiff(step, expected))
          .as("max |decode - prefill| at position %d", t)
          .isLessThan(1e-4);
    }
  }

  @Test
  void tensorsOverBudgetAreReadAgain() {
    ModelConfig config = dense();
    CountingWeights counting = new CountingWeights(MapWeights.random(config, 5));
    String small = config.layerPrefix(0) + "input_layernorm.weight";
    String large = config.embedTensor();
    long smallBytes = 4L * counting.base.read(small).length;
    CachingWeights caching = new CachingWeights(counting, smallBytes);

    float[] first = caching.read(small);
    caching.read(small);
    caching.read(large);
    caching.read(large);

    assertThat(first).containsExactly(counting.base.read(small));
    assertThat(counting.reads.get(small).get()).as("reads of the cached tensor").isOne();
    assertThat(counting.reads.get(large).get()).as("reads of the tensor over budget").isEqualTo(2);
    assertThat(caching.cachedBytes()).isEqualTo(smallBytes);
  }

  @Test
  void rowsComeFromCachedCopy() {
    ModelConfig config = dense();
    MapWeights weights = MapWeights.random(config, 5);
    String name = config.embedTensor();
    int width = config.hiddenSize();
    CachingWeights caching = new CachingWeights(weights, Long.MAX_VALUE);
    float[] expected = new float[3 * width];
    weights.readRows(name, 7, 3, expected, 0);
    float[] beforeCaching = new float[3 * width + 1];
    float[] afterCaching = new float[3 * width + 1];

    caching.readRows(name, 7, 3, beforeCaching, 1);
    caching.read(name);
    caching.readRows(name, 7, 3, afterCaching, 1);

    assertThat(Arrays.copyOfRange(beforeCaching, 1, beforeCaching.length))
        .containsExactly(expected);
    assertThat(Arrays.copyOfRange(afterCaching, 1, afterCaching.length))
        .containsExactly(expected);
  }
}
