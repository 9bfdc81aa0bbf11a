package io.bitsweep.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FakeQuantWeightsTest {
  private static final String EMBED = "model.embed_tokens.weight";
  private static final String HEAD = "lm_head.weight";
  private static final String DOWN = "model.layers.0.mlp.down_proj.weight";
  private static final String UP = "model.layers.0.mlp.up_proj.weight";
  private static final String NORM = "model.layers.0.input_layernorm.weight";

  /** A weight source over arrays, counting whole-tensor reads. */
  private static final class InMemoryWeights implements WeightSource {
    final Map<String, TensorInfo> infos = new TreeMap<>();
    final Map<String, float[]> values = new TreeMap<>();
    final AtomicInteger reads = new AtomicInteger();

    void add(String name, DType dtype, Random random, long... shape) {
      infos.put(name, QuantPlanTest.tensor(name, dtype, shape));
      float[] data = new float[Math.toIntExact(TensorInfo.elementCount(shape))];
      for (int i = 0; i < data.length; i++) {
        float value = (float) (0.02 * random.nextGaussian());
        data[i] = dtype == DType.BF16 ? Floats.roundToBf16(value) : value;
      }
      values.put(name, data);
    }

    @Override
    public TensorInfo info(String name) {
      return infos.get(name);
    }

    @Override
    public boolean contains(String name) {
      return infos.containsKey(name);
    }

    @Override
    public float[] read(String name) {
      reads.incrementAndGet();
      return values.get(name);
    }

    @Override
    public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
      int columns = Math.toIntExact(infos.get(name).lastDim());
      System.arraycopy(
          values.get(name),
          Math.toIntExact(firstRow * columns),
          dst,
          dstOffset,
          rowCount * columns);
    }
  }

  private static InMemoryWeights model() {
    Random random = new Random(3);
    InMemoryWeights weights = new InMemoryWeights();
    weights.add(EMBED, DType.BF16, random, 64, 128);
    weights.add(HEAD, DType.BF16, random, 64, 128);
    weights.add(UP, DType.BF16, random, 256, 128);
    weights.add(DOWN, DType.F32, random, 128, 256);
    weights.add(NORM, DType.BF16, random, 128);
    return weights;
  }

  private static QuantPlan plan(InMemoryWeights weights, String json, HeadTying tying) {
    return QuantPlan.resolve(QuantConfig.parse(json, "test"), weights.infos, tying);
  }

  @Test
  void quantizedTensorsMatchQuantizer() {
    InMemoryWeights weights = model();
    QuantPlan plan =
        plan(weights, "{\"default\": 4, \"groups\": {\"mlp_down\": \"3/32\"}}", HeadTying.UNTIED);
    FakeQuantWeights fake = new FakeQuantWeights(weights, plan, new FakeQuantCache(1 << 20));
    assertThat(fake.read(UP))
        .containsExactly(
            new AffineQuantizer(4, 64)
                .fakeQuantize(weights.values.get(UP), new long[] {256, 128}, DType.BF16));
    assertThat(fake.read(DOWN))
        .as("F32 checkpoint tensor keeps F32 scales")
        .containsExactly(
            new AffineQuantizer(3, 32)
                .fakeQuantize(weights.values.get(DOWN), new long[] {128, 256}, DType.F32));
    assertThat(fake.read(NORM)).isSameAs(weights.values.get(NORM));
    assertThat(fake.info(UP)).isSameAs(weights.infos.get(UP));
  }

  @Test
  void bf16SettingPassesThrough() {
    InMemoryWeights weights = model();
    QuantPlan plan = plan(weights, "{\"default\": \"bf16\"}", HeadTying.UNTIED);
    FakeQuantWeights fake = new FakeQuantWeights(weights, plan, new FakeQuantCache(1 << 20));
    assertThat(fake.read(UP)).isSameAs(weights.values.get(UP));
  }

  @Test
  void readRowsMatchesRead() {
    InMemoryWeights weights = model();
    QuantPlan plan = plan(weights, "{\"default\": 2}", HeadTying.UNTIED);
    FakeQuantCache cache = new FakeQuantCache(1 << 20);
    FakeQuantWeights fake = new FakeQuantWeights(weights, plan, cache);
    float[] rows = new float[7 * 128 + 3];
    fake.readRows(UP, 100, 7, rows, 3);
    assertThat(cache.stats().misses()).as("rows of an uncached tensor bypass the cache").isZero();
    float[] whole = fake.read(UP);
    assertThat(Arrays.copyOfRange(rows, 3, rows.length))
        .containsExactly(Arrays.copyOfRange(whole, 100 * 128, 107 * 128));
    float[] cachedRows = new float[7 * 128];
    fake.readRows(UP, 100, 7, cachedRows, 0);
    assertThat(cachedRows).containsExactly(Arrays.copyOfRange(whole, 100 * 128, 107 * 128));
    float[] normRows = new float[128];
    fake.readRows(NORM, 0, 1, normRows, 0);
    assertThat(normRows).containsExactly(weights.values.get(NORM));
  }

  @Test
  void configurationsShareCachedSettings() {
    InMemoryWeights weights = model();
    FakeQuantCache cache = new FakeQuantCache(1 << 20);
    QuantPlan first =
        plan(weights, "{\"default\": 4, \"groups\": {\"mlp_down\": 8}}", HeadTying.UNTIED);
    QuantPlan second =
        plan(weights, "{\"default\": 4, \"groups\": {\"mlp_down\": 3}}", HeadTying.UNTIED);
    FakeQuantWeights a = new FakeQuantWeights(weights, first, cache);
    FakeQuantWeights b = new FakeQuantWeights(weights, second, cache);
    float[] upA = a.read(UP);
    float[] upB = b.read(UP);
    assertThat(upB).as("same setting, same cached array").isSameAs(upA);
    assertThat(b.read(DOWN)).isNotEqualTo(a.read(DOWN));
    FakeQuantCache.Stats stats = cache.stats();
    assertThat(stats.misses()).isEqualTo(3);
    assertThat(stats.hits()).isEqualTo(1);
    assertThat(weights.reads.get()).isEqualTo(3);
    assertThat(stats.bytes()).isEqualTo(4L * (256 * 128 + 2 * 128 * 256));
  }

  @Test
  void cacheStaysWithinBudget() {
    InMemoryWeights weights = model();
    long oneUp = 4L * 256 * 128;
    FakeQuantCache cache = new FakeQuantCache(oneUp + 4L * 64 * 128);
    FakeQuantWeights fake =
        new FakeQuantWeights(weights, plan(weights, "{\"default\": 4}", HeadTying.UNTIED), cache);
    fake.read(UP);
    fake.read(EMBED);
    fake.read(DOWN); // evicts UP, the least recently used
    FakeQuantCache.Stats stats = cache.stats();
    assertThat(stats.bytes()).isLessThanOrEqualTo(stats.maxBytes());
    assertThat(stats.evictions()).isEqualTo(1);
    assertThat(cache.peek(weights, UP, QuantSetting.affine(4, 64))).isNull();
    assertThat(cache.peek(weights, DOWN, QuantSetting.affine(4, 64))).isNotNull();
    FakeQuantCache tiny = new FakeQuantCache(100);
    FakeQuantWeights uncached = new FakeQuantWeights(weights, fake.plan(), tiny);
    assertThat(uncached.read(UP)).containsExactly(fake.read(UP));
    assertThat(tiny.stats().entries()).as("larger than the budget: not kept").isZero();
  }

  @Test
  void concurrentReadsComputeOnce() throws Exception {
    InMemoryWeights weights = model();
    FakeQuantCache cache = new FakeQuantCache(1 << 20);
    FakeQuantWeights fake =
        new FakeQuantWeights(weights, plan(weights, "{\"default\": 5}", HeadTying.UNTIED), cache);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        results.add(pool.submit(() -> fake.read(UP)));
      }
      float[] first = results.get(0).get();
      for (Future<float[]> result : results) {
        assertThat(result.get()).isSameAs(first);
      }
    } finally {
      pool.shutdown();
    }
    assertThat(cache.stats().misses()).isEqualTo(1);
    assertThat(cache.stats().hits()).isEqualTo(31);
    assertThat(weights.reads.get()).isEqualTo(1);
  }

  @Test
  void tiedHeadReadsQuantizedEmbedding() {
    InMemoryWeights weights = model();
    QuantPlan plan = plan(weights, "{\"default\": 4, \"groups\": {\"embed\": 6}}", HeadTying.TIED);
    FakeQuantWeights fake = new FakeQuantWeights(weights, plan, new FakeQuantCache(1 << 20));
    assertThat(fake.read(HEAD)).isSameAs(fake.read(EMBED));
    float[] row = new float[128];
    fake.readRows(HEAD, 5, 1, row, 0);
    assertThat(row).containsExactly(Arrays.copyOfRange(fake.read(EMBED), 5 * 128, 6 * 128));
  }

  @Test
  void awqSettingNeedsDerivedWeights() {
    InMemoryWeights weights = model();
    QuantPlan plan =
        plan(weights, "{\"default\": 4, \"groups\": {\"mlp_up\": \"4/64+awq\"}}", HeadTying.UNTIED);
    FakeQuantWeights fake = new FakeQuantWeights(weights, plan, new FakeQuantCache(1 << 20));
    assertThatThrownBy(() -> fake.read(UP))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("Cannot fake-quantize " + UP + " with setting 4/64+awq")
        .hasMessageContaining("run `bitsweep reference` first");
  }

  /** Doubles every value of one tensor and names the transform by a key given per instance. */
  private static final class DoubledWeights implements DerivedWeights {
    final InMemoryWeights origin;
    final String key;

    DoubledWeights(InMemoryWeights origin, String key) {
      this.origin = origin;
      this.key = key;
    }

    @Override
    public WeightSource origin() {
      return origin;
    }

    @Override
    public String transformKey(String name) {
      return name.equals(UP) ? key : "";
    }

    @Override
    public TensorInfo info(String name) {
      return origin.info(name);
    }

    @Override
    public boolean contains(String name) {
      return origin.contains(name);
    }

    @Override
    public float[] read(String name) {
      float[] values = origin.read(name).clone();
      if (name.equals(UP)) {
        for (int i = 0; i < values.length; i++) {
          values[i] *= 2;
        }
      }
      return values;
    }

    @Override
    public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
      int columns = Math.toIntExact(origin.info(name).lastDim());
      System.arraycopy(
          read(name), Math.toIntExact(firstRow * columns), dst, dstOffset, rowCount * columns);
    }
  }

  @Test
  void derivedWeightsShareCacheByTransformKey() {
    InMemoryWeights weights = model();
    QuantPlan plan =
        plan(weights, "{\"default\": 4, \"groups\": {\"mlp_up\": \"4/64+awq\"}}", HeadTying.UNTIED);
    FakeQuantCache cache = new FakeQuantCache(1 << 24);
    float[] first = new FakeQuantWeights(new DoubledWeights(weights, "a"), plan, cache).read(UP);
    float[] twin = new FakeQuantWeights(new DoubledWeights(weights, "a"), plan, cache).read(UP);
    float[] other = new FakeQuantWeights(new DoubledWeights(weights, "b"), plan, cache).read(UP);
    float[] plain =
        new FakeQuantWeights(weights, plan(weights, "{\"default\": 4}", HeadTying.UNTIED), cache)
            .read(UP);

    assertThat(twin).as("same origin and transform key").isSameAs(first);
    assertThat(other).as("another transform key").isNotSameAs(first);
    assertThat(plain).as("the untransformed tensor").isNotSameAs(first);
    float[] expected =
        AffineQuantizer.of(QuantSetting.affine(4, 64))
            .fakeQuantize(
                new DoubledWeights(weights, "a").read(UP), new long[] {256, 128}, DType.BF16);
    assertThat(first).containsExactly(expected);
  }
}
