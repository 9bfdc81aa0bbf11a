package io.bitsweep.mlx;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.quant.QuantMode;
import io.bitsweep.quant.QuantSetting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds and writes the JSON files of an MLX model folder: {@code config.json} with its {@code
 * quantization} block, and {@code model.safetensors.index.json}. Both are written the way Python's
 * {@code json.dump(..., indent=4)} lays them out, as mlx-lm's {@code save_config} does.
 */
final class MlxConfigFiles {
  static final String CONFIG_FILE = "config.json";
  static final String INDEX_FILE = "model.safetensors.index.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One module as the {@code quantization} block lists it.
   *
   * @param path the MLX module path, such as {@code language_model.model.layers.3.mlp.down_proj}
   * @param setting its setting; {@link QuantSetting#BF16} when kept unquantized
   * @param lastDim the last dimension of its weight
   * @param quantizable whether it is a Linear, Embedding or SwitchLinear weight of rank 2 or more,
   *     the kind of module mlx-lm's {@code nn.quantize} can quantize
   */
  record ModuleSetting(String path, QuantSetting setting, long lastDim, boolean quantizable) {}

  private MlxConfigFiles() {}

  /**
   * Builds the {@code quantization} block: the most common setting among quantized modules at the
   * top level ({@code group_size}, {@code bits}, {@code mode}), an entry for each quantized module
   * whose setting differs, and {@code false} for each unquantized module that a loader applying the
   * top-level setting to every quantizable module would quantize (its last dimension is divisible
   * by the top-level group size). mlx-lm itself quantizes only modules with {@code .scales}
   * tensors, so it does not need the {@code false} entries; mlx-lm's AWQ writes them too. Returns
   * null when no module is quantized.
   */
  static ObjectNode quantization(List<ModuleSetting> modules) {
    QuantSetting top = mostCommonSetting(modules);
    if (top == null) {
      return null;
    }
    ObjectNode block = JSON.createObjectNode();
    putSetting(block, top);
    List<ModuleSetting> sorted =
        modules.stream().sorted(Comparator.comparing(ModuleSetting::path)).toList();
    for (ModuleSetting module : sorted) {
      QuantSetting setting = module.setting();
      if (setting.isQuantized() && !sameParameters(setting, top)) {
        putSetting(block.putObject(module.path()), setting);
      } else if (!setting.isQuantized()
          && module.quantizable()
          && module.lastDim() % top.groupSize() == 0) {
        block.put(module.path(), false);
      }
    }
    return block;
  }

  /**
   * Returns the setting held by the most quantized modules; ties go to more bits, then larger
   * groups.
   */
  private static QuantSetting mostCommonSetting(List<ModuleSetting> modules) {
    Map<String, Integer> counts = new HashMap<>();
    Map<String, QuantSetting> byLabel = new TreeMap<>();
    for (ModuleSetting module : modules) {
      if (module.setting().isQuantized()) {
        QuantSetting plain = module.setting().withoutAwq();
        counts.merge(plain.label(), 1, Integer::sum);
        byLabel.put(plain.label(), plain);
      }
    }
    return byLabel.values().stream()
        .max(
            Comparator.<QuantSetting>comparingInt(s -> counts.get(s.label()))
                .thenComparingInt(QuantSetting::bits)
                .thenComparingInt(QuantSetting::groupSize))
        .orElse(null);
  }

  private static boolean sameParameters(QuantSetting a, QuantSetting b) {
    return a.bits() == b.bits() && a.groupSize() == b.groupSize();
  }

  private static void putSetting(ObjectNode node, QuantSetting setting) {
    node.put("group_size", setting.groupSize());
    node.put("bits", setting.bits());
    node.put("mode", QuantMode.AFFINE.configName());
  }

  /**
   * Builds the output {@code config.json} from the source one, as mlx-lm's {@code save_config}
   * does: {@code _name_or_path} and {@code vision_config} removed, {@code quantization} and {@code
   * quantization_config} set to the same block (both absent when nothing is quantized), top-level
   * keys sorted. Nested objects such as {@code text_config} are kept as they are.
   */
  static ObjectNode config(JsonNode source, ObjectNode quantization) {
    Map<String, JsonNode> fields = new TreeMap<>();
    source.fields().forEachRemaining(field -> fields.put(field.getKey(), field.getValue()));
    fields.remove("_name_or_path");
    fields.remove("vision_config");
    fields.remove("quantization");
    fields.remove("quantization_config");
    if (quantization != null) {
      fields.put("quantization", quantization);
      fields.put("quantization_config", quantization.deepCopy());
    }
    ObjectNode out = JSON.createObjectNode();
    fields.forEach(out::set);
    return out;
  }

  /**
   * Builds the index: {@code metadata.total_size}, {@code metadata.total_parameters}, {@code
   * weight_map}.
   */
  static ObjectNode index(ShardPlan shards, long totalParameters) {
    ObjectNode index = JSON.createObjectNode();
    ObjectNode metadata = index.putObject("metadata");
    metadata.put("total_size", shards.dataBytes());
    metadata.put("total_parameters", totalParameters);
    ObjectNode weightMap = index.putObject("weight_map");
    shards.weightMap().forEach(weightMap::put);
    return index;
  }

  /** Writes JSON with 4-space indentation and {@code ": "} between keys and values. */
  static void write(Path path, JsonNode node) throws IOException {
    DefaultIndenter indenter = new DefaultIndenter("    ", "\n");
    Separators separators =
        Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withObjectEmptySeparator("")
            .withArrayEmptySeparator("");
    DefaultPrettyPrinter printer =
        new DefaultPrettyPrinter(separators)
            .withObjectIndenter(indenter)
            .withArrayIndenter(indenter);
    String text = JSON.writer(printer).writeValueAsString(node);
    Files.writeString(path, text, StandardCharsets.UTF_8);
  }
}
