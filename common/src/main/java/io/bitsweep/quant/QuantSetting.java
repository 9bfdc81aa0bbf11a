package io.bitsweep.quant;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.tensor.DType;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How one tensor is stored: MLX affine with a bit width and group size, or kept unquantized ({@code
 * bf16}: the tensor stays in its checkpoint dtype, which is bf16 for Qwen3.5). A quantized setting
 * may ask for AWQ scaling before quantization.
 *
 * <p>Written in configurations as {@code "bf16"}, {@code {"bits": 4, "group_size": 64}} (group size
 * defaults to 64, MLX's default), {@code {"bits": 5, "group_size": 64, "awq": true}}, or the short
 * forms {@code 4} (bits at group size 64), {@code "4/32"} and {@code "5/64+awq"}.
 *
 * @param format affine or unquantized
 * @param bits bits per code; {@link #UNQUANTIZED_BITS} when unquantized
 * @param groupSize values per group; 0 when unquantized
 * @param awq whether AWQ scales are applied before quantizing; never set when unquantized
 */
public record QuantSetting(Format format, int bits, int groupSize, boolean awq) {
  /** The two kinds of setting. */
  public enum Format {
    /** Kept unquantized in the checkpoint's dtype. */
    BF16,
    /** MLX affine quantization. */
    AFFINE
  }

  /** The {@code bits} of an unquantized setting, so that comparisons order it above 8 bits. */
  public static final int UNQUANTIZED_BITS = 16;

  /** MLX's default group size, used when a setting gives bits only. */
  public static final int DEFAULT_GROUP_SIZE = 64;

  /** The unquantized setting. */
  public static final QuantSetting BF16 = new QuantSetting(Format.BF16, UNQUANTIZED_BITS, 0, false);

  private static final Pattern SHORT_FORM = Pattern.compile("(\\d+)(?:/(\\d+))?(\\+awq)?");
  private static final Set<String> OBJECT_FIELDS = Set.of("bits", "group_size", "awq", "mode");

  public QuantSetting {
    if (format == null) {
      throw new IllegalArgumentException("QuantSetting.format: missing; use BF16 or AFFINE");
    }
    if (format == Format.BF16) {
      if (bits != UNQUANTIZED_BITS || groupSize != 0 || awq) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "an unquantized setting has no bits, group size or AWQ; found bits %d, group size"
                    + " %d, awq %s; use QuantSetting.BF16",
                bits,
                groupSize,
                awq));
      }
    } else {
      AffineQuantizer.checkBits(bits, "bits");
      AffineQuantizer.checkGroupSize(groupSize, "group_size");
    }
  }

  /** An affine setting without AWQ. */
  public static QuantSetting affine(int bits, int groupSize) {
    return new QuantSetting(Format.AFFINE, bits, groupSize, false);
  }

  /** The same setting with AWQ scaling; only quantized settings can take it. */
  public QuantSetting withAwq() {
    if (!isQuantized()) {
      throw new IllegalArgumentException(
          "bf16 cannot take AWQ: AWQ only helps tensors that are quantized; set bits as well");
    }
    return new QuantSetting(format, bits, groupSize, true);
  }

  /** The same setting without AWQ scaling. */
  public QuantSetting withoutAwq() {
    return awq ? new QuantSetting(format, bits, groupSize, false) : this;
  }

  /** Whether tensors with this setting are quantized (as opposed to kept unquantized). */
  public boolean isQuantized() {
    return format == Format.AFFINE;
  }

  /**
   * Effective bits per weight of a quantized tensor: {@code bits + 2 * scaleBits / groupSize} for
   * the scale and bias per group, so 4.5 for 4 bits, group size 64 and bf16 scales. An unquantized
   * setting returns the dtype's bits.
   */
  public double bitsPerWeight(DType dtype) {
    int dtypeBits = dtype.byteSize() * 8;
    return isQuantized() ? bits + 2.0 * dtypeBits / groupSize : dtypeBits;
  }

  /** A short label: {@code bf16}, {@code 4/64}, or {@code 5/64+awq}. */
  public String label() {
    if (!isQuantized()) {
      return "bf16";
    }
    return bits + "/" + groupSize + (awq ? "+awq" : "");
  }

  /**
   * The canonical JSON value: the string {@code "bf16"}, or an object with keys in sorted order
   * ({@code awq} only when set).
   */
  public Object canonicalJsonValue() {
    if (!isQuantized()) {
      return "bf16";
    }
    Map<String, Object> value = new LinkedHashMap<>();
    if (awq) {
      value.put("awq", true);
    }
    value.put("bits", bits);
    value.put("group_size", groupSize);
    return value;
  }

  /**
   * Parses a setting from a JSON or YAML node in any of the forms of the class comment.
   *
   * @param path the field path printed in errors, such as {@code groups.mlp_up}
   * @throws QuantConfigException naming the path, the value found and the accepted forms
   * @throws UnsupportedOperationException when the object names mode mxfp4, nvfp4 or mxfp8
   */
  public static QuantSetting fromJson(JsonNode node, String path) {
    if (node == null || node.isNull()) {
      throw new QuantConfigException(path + ": missing setting; " + FORMS);
    }
    if (node.isIntegralNumber()) {
      return affine(checkedBits(node.asInt(), path + ".bits"), DEFAULT_GROUP_SIZE);
    }
    if (node.isTextual()) {
      return fromText(node.asText(), path);
    }
    if (node.isObject()) {
      return fromObject(node, path);
    }
    throw new QuantConfigException(
        path + ": expected a setting, found " + ConfigNodes.describe(node) + "; " + FORMS);
  }

  private static final String FORMS =
      "write \"bf16\", a bit width such as 4, \"4/32\", \"5/64+awq\", or"
          + " {\"bits\": 4, \"group_size\": 64, \"awq\": false}";

  private static QuantSetting fromText(String text, String path) {
    if (text.equals("bf16")) {
      return BF16;
    }
    Matcher matcher = SHORT_FORM.matcher(text);
    if (!matcher.matches()) {
      throw new QuantConfigException(path + ": invalid setting \"" + text + "\"; " + FORMS);
    }
    int bits = checkedBits(Integer.parseInt(matcher.group(1)), path + ".bits");
    int groupSize =
        matcher.group(2) == null
            ? DEFAULT_GROUP_SIZE
            : checkedGroupSize(Integer.parseInt(matcher.group(2)), path + ".group_size");
    QuantSetting setting = affine(bits, groupSize);
    return matcher.group(3) == null ? setting : setting.withAwq();
  }

  private static QuantSetting fromObject(JsonNode node, String path) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!OBJECT_FIELDS.contains(name)) {
        throw new QuantConfigException(
            path
                + "."
                + name
                + ": unknown field; a setting has the fields bits, group_size, awq"
                + " and mode");
      }
    }
    if (node.has("mode")) {
      String mode = ConfigNodes.text(node.get("mode"), path + ".mode");
      try {
        QuantMode.fromConfigName(mode).requireAffine();
      } catch (IllegalArgumentException e) {
        throw new QuantConfigException(path + ".mode: " + e.getMessage());
      } catch (UnsupportedOperationException e) {
        throw new UnsupportedOperationException(path + ".mode: " + e.getMessage(), e);
      }
    }
    if (!node.has("bits")) {
      throw new QuantConfigException(path + ".bits: missing; " + FORMS);
    }
    int bits = checkedBits(ConfigNodes.integer(node.get("bits"), path + ".bits"), path + ".bits");
    int groupSize =
        node.has("group_size")
            ? checkedGroupSize(
                ConfigNodes.integer(node.get("group_size"), path + ".group_size"),
                path + ".group_size")
            : DEFAULT_GROUP_SIZE;
    boolean awq = node.has("awq") && ConfigNodes.bool(node.get("awq"), path + ".awq");
    QuantSetting setting = affine(bits, groupSize);
    return awq ? setting.withAwq() : setting;
  }

  private static int checkedBits(int bits, String path) {
    try {
      return AffineQuantizer.checkBits(bits, path);
    } catch (IllegalArgumentException e) {
      throw new QuantConfigException(e.getMessage());
    }
  }

  private static int checkedGroupSize(int groupSize, String path) {
    try {
      return AffineQuantizer.checkGroupSize(groupSize, path);
    } catch (IllegalArgumentException e) {
      throw new QuantConfigException(e.getMessage());
    }
  }

  @Override
  public String toString() {
    return label();
  }
}
