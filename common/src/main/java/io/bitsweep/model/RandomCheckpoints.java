package io.bitsweep.model;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.Encoding;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Writes small checkpoint folders with random weights ({@code config.json} plus {@code
 * model.safetensors}, or two shards and {@code model.safetensors.index.json}) for every supported
 * architecture. Tests use them, and so does the CLI when no model is given. The same seed always
 * gives the same bytes.
 *
 * <p>Values are scaled like a trained model's so activations stay in range: linear weights have
 * standard deviation {@code 1/sqrt(in_features)}, zero-centred norm weights are near 0, plain norm
 * weights near 1, and {@code A_log} and {@code dt_bias} lie in [-1, 1].
 */
public final class RandomCheckpoints {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Pretty-prints JSON with "\n" line ends on every platform, so the bytes never vary. */
  static final ObjectWriter JSON_WRITER =
      MAPPER.writer(new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n")));

  /** File layout of the tensors: one file, or two shards with an index. */
  public enum Layout {
    SINGLE_FILE,
    TWO_SHARDS
  }

  /** The ready-made small models. */
  public enum Variant {
    /** qwen3_5, nested text_config, explicit layer_types, Hv = 2·Hk, untied, two shards. */
    QWEN3_5_DENSE,
    /** qwen3_5_text, flat config, full_attention_interval, Hv = Hk, tied head, {@code model.}. */
    QWEN3_5_FLAT_TIED,
    /** qwen3_5_moe, nested, fused experts, untied. */
    QWEN3_5_MOE,
    /** qwen3_next, flat, fused in_proj_qkvz/in_proj_ba, per-expert tensors, one dense layer. */
    QWEN3_NEXT,
    /** llama, flat, tied head. */
    LLAMA
  }

  private RandomCheckpoints() {}

  /** Returns the config.json tree of a variant. */
  public static ObjectNode config(Variant variant) {
    return RandomConfigs.of(variant);
  }

  /** Writes a variant into {@code directory} (created if needed) and returns the folder. */
  public static Path write(Variant variant, Path directory, long seed) throws IOException {
    Layout layout =
        variant == Variant.QWEN3_5_DENSE || variant == Variant.QWEN3_NEXT
            ? Layout.TWO_SHARDS
            : Layout.SINGLE_FILE;
    return write(config(variant), directory, seed, layout);
  }

  /**
   * Writes {@code config} and a random value for every tensor it implies into {@code directory}.
   * Everything is stored as BF16 except {@code A_log}, which is stored as F32 as some dense
   * checkpoints do.
   */
  public static Path write(JsonNode config, Path directory, long seed, Layout layout)
      throws IOException {
    return write(config, directory, seed, layout, name -> 1.0);
  }

  /**
   * Writes a checkpoint like {@link #write(JsonNode, Path, long, Layout)} and multiplies the values
   * of each tensor by {@code gain} of its name, for example to sharpen the output distribution.
   */
  static Path write(
      JsonNode config, Path directory, long seed, Layout layout, ToDoubleFunction<String> gain)
      throws IOException {
    Files.createDirectories(directory);
    Path configFile = directory.resolve("config.json");
    ModelConfig parsed = ModelConfig.fromJson(config, configFile.toString());
    JSON_WRITER.writeValue(configFile.toFile(), config);

    List<ExpectedTensor> tensors = parsed.expectedTensors();
    int shards = layout == Layout.TWO_SHARDS ? 2 : 1;
    List<SafetensorsWriter> writers = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      writers.add(new SafetensorsWriter(Map.of("format", "pt")));
    }
    Map<String, String> weightMap = new TreeMap<>();
    for (int i = 0; i < tensors.size(); i++) {
      ExpectedTensor tensor = tensors.get(i);
      int shard = i * shards / tensors.size();
      String file = shards == 1 ? Checkpoint.SINGLE_FILE : shardName(shard, shards);
      weightMap.put(tensor.name(), file);
      DType dtype = tensor.name().endsWith("A_log") ? DType.F32 : DType.BF16;
      long bytes =
          Math.multiplyExact(
              io.bitsweep.safetensors.TensorInfo.elementCount(tensor.shape()),
              (long) dtype.byteSize());
      long tensorSeed = seed * 1_000_003L + i;
      boolean plainNorms = !parsed.architecture().zeroCenteredNorms();
      float scale = (float) gain.applyAsDouble(tensor.name());
      writers
          .get(shard)
          .addLazy(
              tensor.name(),
              dtype,
              tensor.shape(),
              bytes,
              () -> {
                float[] values = values(tensor, tensorSeed, plainNorms);
                return Encoding.encodeFloats(dtype, scaled(values, scale));
              });
    }
    long total = 0;
    for (int i = 0; i < shards; i++) {
      String file = shards == 1 ? Checkpoint.SINGLE_FILE : shardName(i, shards);
      writers.get(i).write(directory.resolve(file));
      total += writers.get(i).dataBytes();
    }
    if (shards > 1) {
      writeIndex(directory, weightMap, total);
    }
    return directory;
  }

  private static String shardName(int shard, int shards) {
    return String.format(
        java.util.Locale.ROOT, "model-%05d-of-%05d.safetensors", shard + 1, shards);
  }

  private static void writeIndex(Path directory, Map<String, String> weightMap, long totalSize)
      throws IOException {
    ObjectNode index = MAPPER.createObjectNode();
    index.putObject("metadata").put("total_size", totalSize);
    ObjectNode map = index.putObject("weight_map");
    weightMap.forEach(map::put);
    JSON_WRITER.writeValue(directory.resolve(Checkpoint.INDEX_FILE).toFile(), index);
  }

  private static float[] scaled(float[] values, float scale) {
    if (scale != 1f) {
      for (int i = 0; i < values.length; i++) {
        values[i] *= scale;
      }
    }
    return values;
  }

  /** Random values for one tensor, scaled by what the tensor is. */
  static float[] values(ExpectedTensor tensor, long seed, boolean plainNorms) {
    long[] shape = tensor.shape();
    float[] values =
        new float[Math.toIntExact(io.bitsweep.safetensors.TensorInfo.elementCount(shape))];
    SplittableRandom random = new SplittableRandom(seed);
    String name = tensor.name();
    double center = 0;
    double halfWidth;
    if (name.endsWith("A_log") || name.endsWith("dt_bias")) {
      halfWidth = 1;
    } else if (shape.length == 1) {
      boolean plain = plainNorms || name.endsWith("linear_attn.norm.weight");
      center = plain ? 1 : 0;
      halfWidth = 0.1;
    } else if (name.endsWith("embed_tokens.weight")) {
      halfWidth = 0.25 * Math.sqrt(3); // standard deviation 0.25, also when tied as the head
    } else {
      // Uniform on [-a, a] has standard deviation a / sqrt(3).
      halfWidth = Math.sqrt(3.0 / shape[shape.length - 1]);
    }
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (center + halfWidth * (2 * random.nextDouble() - 1));
    }
    return values;
  }
}
