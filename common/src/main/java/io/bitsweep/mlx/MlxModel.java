package io.bitsweep.mlx;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An MLX model folder opened for reading, whether bitsweep or mlx-lm wrote it: its safetensors
 * tensors (memory-mapped and validated), its {@code config.json}, and the quantization setting of
 * every quantized module, checked against the tensor shapes. {@link #weights} exposes the weights
 * again under Hugging Face names, dequantized, so the forward pass can run the folder directly.
 */
public final class MlxModel implements AutoCloseable {
  private final Checkpoint checkpoint;
  private final JsonNode configJson;
  private final MlxQuantization quantization;
  private final Map<String, QuantSetting> modules;

  private MlxModel(Checkpoint checkpoint, JsonNode configJson, MlxQuantization quantization) {
    this.checkpoint = checkpoint;
    this.configJson = configJson;
    this.quantization = quantization;
    this.modules = Collections.unmodifiableMap(findQuantizedModules());
  }

  /**
   * Opens an MLX model folder.
   *
   * @throws io.bitsweep.safetensors.CheckpointException when a file is missing or invalid
   * @throws MlxException when config.json's quantization block does not match the tensors
   */
  public static MlxModel open(Path directory) {
    Checkpoint checkpoint = Checkpoint.open(directory);
    try {
      JsonNode config = checkpoint.configJson();
      String source = checkpoint.directory().resolve(MlxConfigFiles.CONFIG_FILE).toString();
      return new MlxModel(checkpoint, config, MlxQuantization.parse(config, source));
    } catch (RuntimeException e) {
      checkpoint.close();
      throw e;
    }
  }

  /** Returns the folder. */
  public Path directory() {
    return checkpoint.directory();
  }

  /** Returns the parsed {@code config.json}. */
  public JsonNode configJson() {
    return configJson;
  }

  /** Returns every tensor of every shard, by name. */
  public Map<String, TensorInfo> tensors() {
    return checkpoint.tensors();
  }

  /** Returns the setting of every quantized module, by module path. */
  public Map<String, QuantSetting> quantizedModules() {
    return modules;
  }

  private Map<String, QuantSetting> findQuantizedModules() {
    Map<String, QuantSetting> found = new TreeMap<>();
    for (String name : checkpoint.tensors().keySet()) {
      if (name.endsWith(".scales")) {
        String path = name.substring(0, name.length() - ".scales".length());
        found.put(path, checkModule(path));
      }
    }
    for (String path : quantization.overrides().keySet()) {
      if (!found.containsKey(path)) {
        throw new MlxException(
            "Cannot open "
                + directory()
                + ": config.json quantizes module "
                + path
                + ", but "
                + path
                + ".scales is missing; mlx-lm would fail to load this folder");
      }
    }
    return found;
  }

  /** Returns the setting of a quantized module, or null when the module is not quantized. */
  public QuantSetting setting(String modulePath) {
    return modules.get(modulePath);
  }

  /** Returns the model's text config as the forward pass reads it. */
  public ModelConfig modelConfig() {
    return ModelConfig.fromJson(
        configJson, directory().resolve(MlxConfigFiles.CONFIG_FILE).toString());
  }

  /**
   * Returns the weights under Hugging Face names, as fp32: quantized weights dequantized ({@code
   * scale · q + bias}), {@code conv1d} back to {@code [C, 1, K]}, zero-centred norms shifted back
   * by −1, and expert tensors unsplit or unstacked.
   *
   * @throws MlxException when a tensor the config implies is missing or has the wrong shape, or
   *     when the folder contains tensors the config does not explain
   */
  public WeightSource weights() {
    return new MlxWeights(this, modelConfig());
  }

  /** Returns the tensor data of all shards in bytes. */
  public long tensorBytes() {
    long total = 0;
    for (TensorInfo info : checkpoint.tensors().values()) {
      total += info.byteLength();
    }
    return total;
  }

  /**
   * Returns the parameter count as mlx-lm's {@code get_total_parameters} computes it: a quantized
   * weight counts {@code words · 32 / bits}, its scales and biases count nothing, and every other
   * tensor counts its elements.
   */
  public long parameterCount() {
    long total = 0;
    for (TensorInfo info : checkpoint.tensors().values()) {
      total += parameters(info);
    }
    return total;
  }

  long parameters(TensorInfo info) {
    String name = info.name();
    String path = moduleOf(name);
    QuantSetting setting = path == null ? null : modules.get(path);
    if (setting == null) {
      return info.elementCount();
    }
    return name.endsWith(".weight") ? info.elementCount() * 32 / setting.bits() : 0;
  }

  /** Returns bits per weight as mlx-lm prints it: 8 · tensor bytes / parameters. */
  public double bitsPerWeight() {
    long parameters = parameterCount();
    return parameters == 0 ? 0 : 8.0 * tensorBytes() / parameters;
  }

  /**
   * Returns the module path of {@code P.weight}, {@code P.scales} or {@code P.biases}, else null.
   */
  static String moduleOf(String tensorName) {
    for (String suffix : new String[] {".weight", ".scales", ".biases"}) {
      if (tensorName.endsWith(suffix)) {
        return tensorName.substring(0, tensorName.length() - suffix.length());
      }
    }
    return null;
  }

  Checkpoint checkpoint() {
    return checkpoint;
  }

  private QuantSetting checkModule(String path) {
    QuantSetting setting = quantization.settingOf(path);
    if (setting == null) {
      String reason =
          quantization.quantized()
              ? "marks the module false (unquantized)"
              : "has no quantization block";
      throw new MlxException(
          "Cannot open "
              + directory()
              + ": "
              + path
              + ".scales exists, but config.json "
              + reason
              + "; the config does not belong to these tensors");
    }
    checkShapes(path, setting);
    return setting;
  }

  /** Checks a quantized module's dtypes, and that its packed width matches its scales. */
  private void checkShapes(String path, QuantSetting setting) {
    TensorInfo weight = require(path + ".weight");
    TensorInfo scales = require(path + ".scales");
    TensorInfo biases = require(path + ".biases");
    if (weight.dtype() != DType.U32) {
      throw mismatch(path, "the weight must be a packed U32 tensor, found " + weight);
    }
    boolean sameKind =
        biases.dtype() == scales.dtype() && Arrays.equals(biases.shape(), scales.shape());
    if (!scales.dtype().isFloating() || !sameKind || scales.shape().length < 2) {
      throw mismatch(
          path,
          "scales and biases must be float tensors of rank 2 or more with one dtype and shape,"
              + " found "
              + scales
              + " and "
              + biases);
    }

    // The scales give the number of groups per row, hence the row width and the packed width.
    long[] expected = scales.shape().clone();
    long columns = scales.lastDim() * setting.groupSize();
    expected[expected.length - 1] = columns * setting.bits() / 32;
    if (!Arrays.equals(expected, weight.shape())) {
      throw mismatch(
          path,
          String.format(
              Locale.ROOT,
              "with %d bits and group size %d, scales %s imply a weight of shape %s, found %s",
              setting.bits(),
              setting.groupSize(),
              scales.shapeString(),
              Arrays.toString(expected),
              weight.shapeString()));
    }
  }

  private TensorInfo require(String name) {
    if (!checkpoint.contains(name)) {
      throw new MlxException(
          "Cannot open "
              + directory()
              + ": tensor "
              + name
              + " is missing; a quantized module"
              + " needs .weight, .scales and .biases");
    }
    return checkpoint.info(name);
  }

  private MlxException mismatch(String path, String detail) {
    return new MlxException(
        "Cannot open "
            + directory()
            + ": quantized module "
            + path
            + " does not match config.json: "
            + detail);
  }

  /** Formats the per-tensor table and totals; see {@link MlxReader#inspect}. */
  public String inspect() {
    return MlxInspection.format(this);
  }

  @Override
  public void close() {
    checkpoint.close();
  }
}
