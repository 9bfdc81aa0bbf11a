package io.bitsweep.model;

import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** An in-memory {@link WeightSource} for tests: fp32 arrays by name. */
final class MapWeights implements WeightSource {
  private final Map<String, float[]> values = new HashMap<>();
  private final Map<String, long[]> shapes = new HashMap<>();

  void put(String name, long[] shape, float[] data) {
    values.put(name, data);
    shapes.put(name, shape.clone());
  }

  /** Fills every tensor a config implies with {@link RandomCheckpoints}' random values. */
  static MapWeights random(ModelConfig config, long seed) {
    MapWeights weights = new MapWeights();
    int i = 0;
    for (ExpectedTensor tensor : config.expectedTensors()) {
      weights.put(
          tensor.name(),
          tensor.shape(),
          RandomCheckpoints.values(
              tensor, seed * 31 + i++, !config.architecture().zeroCenteredNorms()));
    }
    return weights;
  }

  @Override
  public TensorInfo info(String name) {
    long[] shape = shapes.get(name);
    return new TensorInfo(
        name, DType.F32, shape, 0, 4L * values.get(name).length, Path.of("memory"));
  }

  @Override
  public boolean contains(String name) {
    return values.containsKey(name);
  }

  @Override
  public float[] read(String name) {
    float[] data = values.get(name);
    if (data == null) {
      throw new IllegalArgumentException("no tensor " + name);
    }
    return data;
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    long[] shape = shapes.get(name);
    int width = (int) shape[shape.length - 1];
    System.arraycopy(read(name), (int) firstRow * width, dst, dstOffset, rowCount * width);
  }
}
