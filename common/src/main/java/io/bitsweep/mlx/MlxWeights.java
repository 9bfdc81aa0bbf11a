package io.bitsweep.mlx;

import io.bitsweep.mlx.MlxLayout.Placement;
import io.bitsweep.mlx.MlxParameter.Segment;
import io.bitsweep.model.ExpectedTensor;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.quant.QuantizedTensor;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of an MLX model folder under the Hugging Face names its config implies, as fp32. It
 * undoes what {@link MlxLayout} did: quantized weights are dequantized to {@code scale · q + bias}
 * in float32 (the values MLX's {@code dequantize} computes before its final cast), norms are
 * shifted back by −1, expert tensors are unsplit or unstacked, and {@code conv1d} takes its {@code
 * [C, 1, K]} shape back. Nothing is cached; every read decodes afresh.
 */
final class MlxWeights implements WeightSource {
  private final MlxModel model;
  private final Checkpoint files;
  private final MlxLayout layout;
  private final Map<String, TensorInfo> infos = new TreeMap<>();

  MlxWeights(MlxModel model, ModelConfig config) {
    this.model = model;
    this.files = model.checkpoint();
    Map<String, long[]> shapes = new TreeMap<>();
    for (ExpectedTensor tensor : config.expectedTensors()) {
      shapes.put(tensor.name(), tensor.shape());
    }
    this.layout = MlxLayout.build(config.architecture(), shapes, config.tieWordEmbeddings());
    checkTensors();
    for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
      infos.put(entry.getKey(), sourceInfo(entry.getKey(), entry.getValue()));
    }
  }

  /** Checks that the folder contains exactly the tensors the layout implies, with their shapes. */
  private void checkTensors() {
    List<String> problems = new ArrayList<>();
    Set<String> explained = new HashSet<>();
    for (MlxParameter parameter : layout.parameters().values()) {
      String path = parameter.modulePath();
      QuantSetting setting = path == null ? null : model.setting(path);
      StoredParameter stored =
          new StoredParameter(parameter, setting == null ? QuantSetting.BF16 : setting, DType.F32);
      for (StoredParameter.FileTensor expected : stored.fileTensors()) {
        explained.add(expected.name());
        problems.add(checkTensor(expected, setting != null));
      }
    }
    for (String name : files.tensors().keySet()) {
      if (!explained.contains(name)) {
        problems.add("tensor " + name + " is not part of the model config.json describes");
      }
    }
    problems.removeIf(p -> p == null);
    if (!problems.isEmpty()) {
      throw new MlxException(
          String.format(
              Locale.ROOT,
              "Cannot read %s as a %s model: %s%s",
              model.directory(),
              layout.names().nested() ? "nested Qwen3.5" : "text",
              String.join("; ", problems.subList(0, Math.min(5, problems.size()))),
              problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : ""));
    }
  }

  private String checkTensor(StoredParameter.FileTensor expected, boolean quantized) {
    if (!files.contains(expected.name())) {
      return "tensor "
          + expected.name()
          + " is missing (expected shape "
          + Arrays.toString(expected.shape())
          + ")";
    }
    TensorInfo found = files.info(expected.name());
    if (!Arrays.equals(found.shape(), expected.shape())) {
      return "tensor "
          + expected.name()
          + " has shape "
          + found.shapeString()
          + ", expected "
          + Arrays.toString(expected.shape());
    }
    boolean packed = quantized && expected.dtype() == DType.U32;
    if (!packed && !found.dtype().isFloating()) {
      return "tensor " + expected.name() + " has dtype " + found.dtype() + ", expected a float";
    }
    return null;
  }

  private TensorInfo sourceInfo(String name, long[] shape) {
    MlxParameter parameter = layout.placements(name).get(0).parameter();
    String path = parameter.modulePath();
    boolean quantized = path != null && model.setting(path) != null;
    TensorInfo stored = files.info(quantized ? path + ".scales" : parameter.name());
    long bytes = MlxParameter.elementCount(shape) * stored.dtype().byteSize();
    return new TensorInfo(name, stored.dtype(), shape, stored.fileOffset(), bytes, stored.file());
  }

  @Override
  public TensorInfo info(String name) {
    TensorInfo info = infos.get(name);
    if (info == null) {
      throw new MlxException(
          "Cannot find tensor "
              + name
              + " in MLX model "
              + model.directory()
              + "; the config does not imply it");
    }
    return info;
  }

  @Override
  public boolean contains(String name) {
    return infos.containsKey(name);
  }

  @Override
  public float[] read(String name) {
    TensorInfo info = info(name);
    long width = info.lastDim();
    float[] out = new float[Math.toIntExact(info.elementCount())];
    readRows(name, 0, Math.toIntExact(info.elementCount() / width), out, 0);
    return out;
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    TensorInfo info = info(name);
    long width = info.lastDim();
    long from = firstRow * width;
    long to = from + rowCount * width;
    if (firstRow < 0 || rowCount < 0 || to > info.elementCount()) {
      throw new IndexOutOfBoundsException(
          String.format(
              Locale.ROOT,
              "Cannot read rows %d..%d of %s: it has %d rows",
              firstRow,
              firstRow + rowCount,
              name,
              info.elementCount() / width));
    }
    for (Placement placement : layout.placements(name)) {
      Segment segment = placement.segment();
      long start = Math.max(from, segment.sourceOffset());
      long end = Math.min(to, segment.sourceEnd());
      if (start >= end) {
        continue;
      }
      int position = dstOffset + (int) (start - from);
      int count = (int) (end - start);
      long target = segment.targetOffset() + (start - segment.sourceOffset());
      readParameter(placement.parameter(), target, count, dst, position);
      if (placement.parameter().shiftedNorm()) {
        for (int i = position; i < position + count; i++) {
          dst[i] -= 1f;
        }
      }
    }
  }

  /** Copies {@code count} values of a parameter from element {@code first} into {@code dst}. */
  private void readParameter(MlxParameter parameter, long first, int count, float[] dst, int at) {
    String path = parameter.modulePath();
    QuantSetting setting = path == null ? null : model.setting(path);
    if (setting == null) {
      files.readFloats(parameter.name(), first, dst, at, count);
      return;
    }
    long columns = parameter.lastDim();
    if (first % columns != 0 || count % columns != 0) {
      throw new IllegalStateException(
          "Read of " + parameter.name() + " does not cover whole rows of " + columns + " values");
    }
    QuantizedTensor rows =
        readQuantizedRows(path, setting, first / columns, (int) (count / columns), columns);
    System.arraycopy(rows.dequantize(), 0, dst, at, count);
  }

  /** Reads the packed words, scales and biases of {@code rows} rows from row {@code row}. */
  private QuantizedTensor readQuantizedRows(
      String path, QuantSetting setting, long row, int rows, long columns) {
    int wordsPerRow = (int) (columns * setting.bits() / 32);
    ByteBuffer bytes = ByteBuffer.allocate(rows * wordsPerRow * 4).order(ByteOrder.LITTLE_ENDIAN);
    files.readBytes(path + ".weight", row * wordsPerRow * 4L, bytes);
    int[] words = new int[rows * wordsPerRow];
    bytes.flip().asIntBuffer().get(words);

    int groupsPerRow = (int) (columns / setting.groupSize());
    float[] scales = new float[rows * groupsPerRow];
    float[] biases = new float[rows * groupsPerRow];
    files.readFloats(path + ".scales", row * groupsPerRow, scales, 0, scales.length);
    files.readFloats(path + ".biases", row * groupsPerRow, biases, 0, biases.length);
    DType dtype = files.info(path + ".scales").dtype();
    return new QuantizedTensor(
        new long[] {rows, columns},
        setting.bits(),
        setting.groupSize(),
        dtype,
        words,
        scales,
        biases);
  }
}
