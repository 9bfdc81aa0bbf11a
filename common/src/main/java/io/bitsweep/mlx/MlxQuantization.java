package io.bitsweep.mlx;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.QuantMode;
import io.bitsweep.quant.QuantSetting;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code quantization} block of an MLX {@code config.json}, read the way {@code
 * mlx_lm.utils.load_model} applies it: the top level gives {@code group_size} and {@code bits}
 * (both required) and {@code mode} (affine when absent); an entry keyed by a module path overrides
 * them for that module with an object (missing keys take MLX's affine defaults, 64 and 4) or keeps
 * the module unquantized with {@code false}; {@code true} means the top-level setting.
 *
 * @param topLevel the top-level setting, or null when the model is not quantized
 * @param overrides modules with their own setting, by module path
 * @param unquantized modules marked {@code false}
 */
record MlxQuantization(
    QuantSetting topLevel, Map<String, QuantSetting> overrides, Set<String> unquantized) {
  private static final Set<String> TOP_LEVEL_KEYS = Set.of("group_size", "bits", "mode");
  private static final int MLX_DEFAULT_BITS = 4;
  private static final int MLX_DEFAULT_GROUP_SIZE = 64;

  MlxQuantization {
    overrides = Collections.unmodifiableMap(new TreeMap<>(overrides));
    unquantized = Collections.unmodifiableSet(new TreeSet<>(unquantized));
  }

  /** The block of an unquantized model. */
  static final MlxQuantization NONE = new MlxQuantization(null, Map.of(), Set.of());

  /**
   * Reads the block from {@code config.json}; {@code quantization_config} is used when {@code
   * quantization} is absent.
   *
   * @param source the file name printed in errors
   * @throws MlxException naming the field when a value is invalid
   * @throws UnsupportedOperationException for modes other than affine and legacy formats (AWQ, GPTQ
   *     and similar {@code quant_method} entries)
   */
  static MlxQuantization parse(JsonNode config, String source) {
    JsonNode block = config.get("quantization");
    String field = "quantization";
    if (block == null || block.isNull()) {
      block = config.get("quantization_config");
      field = "quantization_config";
    }
    if (block == null || block.isNull()) {
      return NONE;
    }
    if (!block.isObject()) {
      throw new MlxException(source + ": field " + field + " must be an object, found " + block);
    }
    if (block.has("quant_method")) {
      throw new UnsupportedOperationException(
          source
              + ": "
              + field
              + ".quant_method \""
              + block.get("quant_method").asText()
              + "\" is a Hugging Face quantization format; only MLX affine quantization is"
              + " supported");
    }
    for (String key : new String[] {"group_size", "bits"}) {
      if (!block.has(key)) {
        throw new MlxException(
            source
                + ": field "
                + field
                + "."
                + key
                + " is missing; MLX needs"
                + " the top-level group_size and bits");
      }
    }
    return withModules(block, field, source, setting(block, field, source));
  }

  /** Reads the per-module entries of the block. */
  private static MlxQuantization withModules(
      JsonNode block, String field, String source, QuantSetting top) {
    Map<String, QuantSetting> overrides = new TreeMap<>();
    Set<String> unquantized = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = block.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String path = entry.getKey();
      JsonNode value = entry.getValue();
      if (TOP_LEVEL_KEYS.contains(path)) {
        continue;
      }
      if (value.isBoolean() && value.booleanValue()) {
        overrides.put(path, top);
      } else if (value.isBoolean()) {
        unquantized.add(path);
      } else if (value.isObject()) {
        overrides.put(path, setting(value, field + "." + path, source));
      } else {
        throw new MlxException(
            source
                + ": field "
                + field
                + "."
                + path
                + " must be an object or false, found "
                + value);
      }
    }
    return new MlxQuantization(top, overrides, unquantized);
  }

  private static QuantSetting setting(JsonNode node, String field, String source) {
    String mode = node.has("mode") ? node.get("mode").asText() : QuantMode.AFFINE.configName();
    try {
      QuantMode.fromConfigName(mode).requireAffine();
    } catch (IllegalArgumentException e) {
      throw new MlxException(source + ": field " + field + ".mode: " + e.getMessage(), e);
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedOperationException(
          source + ": field " + field + ".mode: " + e.getMessage(), e);
    }
    int bits = integer(node, "bits", field, source, MLX_DEFAULT_BITS);
    int groupSize = integer(node, "group_size", field, source, MLX_DEFAULT_GROUP_SIZE);
    try {
      return QuantSetting.affine(
          AffineQuantizer.checkBits(bits, field + ".bits"),
          AffineQuantizer.checkGroupSize(groupSize, field + ".group_size"));
    } catch (IllegalArgumentException e) {
      throw new MlxException(source + ": " + e.getMessage(), e);
    }
  }

  private static int integer(JsonNode node, String key, String field, String source, int fallback) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new MlxException(
          source + ": field " + field + "." + key + " must be an integer, found " + value);
    }
    return value.intValue();
  }

  /** Returns whether the model has a quantization block. */
  boolean quantized() {
    return topLevel != null;
  }

  /**
   * Returns the setting mlx-lm applies to a module that has {@code .scales}: its override, else the
   * top level; null when config.json marks the module unquantized or the model has no block.
   */
  QuantSetting settingOf(String modulePath) {
    if (unquantized.contains(modulePath)) {
      return null;
    }
    QuantSetting override = overrides.get(modulePath);
    return override != null ? override : topLevel;
  }
}
