package io.bitsweep.quant;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.safetensors.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A configuration resolved against a checkpoint: the final setting of every tensor, and the size of
 * the MLX model it produces.
 *
 * <p>An entry in the configuration that matches no tensor is an error, because a rule that silently
 * does nothing (a misspelt range, {@code attn_qkv@0-2} on layers that are all linear attention, a
 * MoE group on a dense model) makes a sweep measure something other than what its author meant. The
 * one exception is {@code lm_head} on a model with a tied head: the plan keeps going with a
 * warning, because the head then is the embedding and takes the {@code embed} setting, so one sweep
 * spec can serve tied and untied models.
 */
public final class QuantPlan {
  /** Whether the output head shares the embedding matrix ({@code tie_word_embeddings}). */
  public enum HeadTying {
    TIED,
    UNTIED;

    /**
     * Reads the tying from a Hugging Face {@code config.json} and the tensor names: tied when
     * {@code tie_word_embeddings} is true at the top level or in {@code text_config}, or when the
     * checkpoint has no {@code lm_head.weight}.
     */
    public static HeadTying detect(JsonNode configJson, Map<String, TensorInfo> tensors) {
      JsonNode textConfig = configJson.path("text_config");
      boolean flag =
          configJson.path("tie_word_embeddings").asBoolean(false)
              || textConfig.path("tie_word_embeddings").asBoolean(false);
      return flag || !tensors.containsKey("lm_head.weight") ? TIED : UNTIED;
    }
  }

  /** The fate of a tensor in the MLX model. */
  public enum Disposition {
    /** Quantized with an affine setting. */
    QUANTIZED,
    /** Written unquantized, in its checkpoint dtype. */
    KEPT,
    /** Not written: vision tower, MTP head, or an {@code lm_head} tied to the embedding. */
    DROPPED
  }

  /**
   * One tensor's resolved plan.
   *
   * @param info the checkpoint header entry
   * @param role its role; a tied head stored only as {@code lm_head.weight} has the role of the
   *     embedding
   * @param disposition quantized, kept or dropped
   * @param setting the final setting; {@link QuantSetting#BF16} unless quantized
   * @param mlxBytes bytes in the MLX model (0 when dropped)
   * @param note why the tensor is kept or dropped, or empty
   */
  public record Entry(
      TensorInfo info,
      TensorRole role,
      Disposition disposition,
      QuantSetting setting,
      long mlxBytes,
      String note) {
    public Entry {
      if ((disposition == Disposition.QUANTIZED) != setting.isQuantized()) {
        throw new IllegalArgumentException(
            info.name() + ": disposition " + disposition + " does not match setting " + setting);
      }
    }

    public String name() {
      return info.name();
    }

    /**
     * Returns the parameters this tensor adds to the model's count as mlx-lm's {@code
     * get_total_parameters} computes it: every logical value, also for quantized weights ({@code
     * weight.size * 32 / bits}), and none when dropped.
     */
    public long parameters() {
      return disposition == Disposition.DROPPED ? 0 : info.elementCount();
    }
  }

  /**
   * Per-group totals.
   *
   * @param tensors number of tensors
   * @param parameters their logical values
   * @param mlxBytes their bytes in the MLX model
   */
  public record GroupTotals(int tensors, long parameters, long mlxBytes) {
    static GroupTotals of(Entry entry) {
      return new GroupTotals(1, entry.parameters(), entry.mlxBytes());
    }

    GroupTotals add(GroupTotals other) {
      return new GroupTotals(
          tensors + other.tensors, parameters + other.parameters, mlxBytes + other.mlxBytes);
    }

    /** Returns bits per weight of these tensors alone. */
    public double bitsPerWeight() {
      return parameters == 0 ? 0 : 8.0 * mlxBytes / parameters;
    }
  }

  private final QuantConfig config;
  private final HeadTying tying;
  private final int layerCount;
  private final Map<String, Entry> entries;
  private final List<String> warnings;

  private QuantPlan(
      QuantConfig config,
      HeadTying tying,
      int layerCount,
      Map<String, Entry> entries,
      List<String> warnings) {
    this.config = config;
    this.tying = tying;
    this.layerCount = layerCount;
    this.entries = Collections.unmodifiableMap(entries);
    this.warnings = List.copyOf(warnings);
  }

  /**
   * Resolves a configuration against a checkpoint's tensors.
   *
   * @throws QuantConfigException listing every problem: layer ranges outside the model, entries
   *     that match no tensor, and tensors MLX cannot quantize with their setting (such as a last
   *     dimension not divisible by the group size)
   */
  public static QuantPlan resolve(
      QuantConfig config, Map<String, TensorInfo> tensors, HeadTying tying) {
    return new QuantPlanResolver(config, tensors, tying).resolve();
  }

  static QuantPlan create(
      QuantConfig config,
      HeadTying tying,
      int layerCount,
      Map<String, Entry> entries,
      List<String> warnings) {
    return new QuantPlan(config, tying, layerCount, entries, warnings);
  }

  public QuantConfig config() {
    return config;
  }

  public HeadTying tying() {
    return tying;
  }

  /** Returns the number of decoder layers found in the checkpoint. */
  public int layerCount() {
    return layerCount;
  }

  /** Returns every tensor's entry, by name. */
  public Map<String, Entry> entries() {
    return entries;
  }

  /**
   * Returns one tensor's entry.
   *
   * @throws IllegalArgumentException naming the tensor when the checkpoint has no such tensor
   */
  public Entry entry(String name) {
    Entry entry = entries.get(name);
    if (entry == null) {
      throw new IllegalArgumentException(
          "Tensor " + name + " is not in the checkpoint this plan was resolved against");
    }
    return entry;
  }

  /** Returns the warnings found while resolving, such as an {@code lm_head} rule on a tied head. */
  public List<String> warnings() {
    return warnings;
  }

  /** Returns the total bytes of the MLX model's tensors (the index's {@code total_size}). */
  public long mlxBytes() {
    long total = 0;
    for (Entry entry : entries.values()) {
      total += entry.mlxBytes();
    }
    return total;
  }

  /** Returns the parameter count as mlx-lm's {@code get_total_parameters} computes it. */
  public long parameterCount() {
    long total = 0;
    for (Entry entry : entries.values()) {
      total += entry.parameters();
    }
    return total;
  }

  /**
   * Returns bits per weight as mlx-lm's {@code compute_bits_per_weight} computes it: 8 times the
   * bytes of every array in the model divided by {@link #parameterCount}. Unquantized tensors count
   * at their dtype's width, which raises the average.
   */
  public double bitsPerWeight() {
    long parameters = parameterCount();
    return parameters == 0 ? 0 : 8.0 * mlxBytes() / parameters;
  }

  /** Returns totals per layer group, in group order; tensors in no group are left out. */
  public Map<LayerGroup, GroupTotals> groupTotals() {
    Map<LayerGroup, GroupTotals> totals = new EnumMap<>(LayerGroup.class);
    for (Entry entry : entries.values()) {
      if (entry.role().isGrouped() && entry.disposition() != Disposition.DROPPED) {
        totals.merge(entry.role().group(), GroupTotals.of(entry), GroupTotals::add);
      }
    }
    return totals;
  }

  /**
   * Returns an id of the resolved result: the first 16 hex digits of a SHA-256 over every written
   * tensor's name and final setting. Two configurations with equal resolved ids produce the same
   * model from this checkpoint (for example ones that differ only in {@code lm_head} on a tied
   * head), so a sweep can evaluate one of them.
   */
  public String resolvedId() {
    StringBuilder text = new StringBuilder();
    for (Entry entry : entries.values()) {
      if (entry.disposition() != Disposition.DROPPED) {
        text.append(entry.name()).append('\t').append(entry.setting().label()).append('\n');
      }
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }

  /** Returns the settings of the quantized tensors, by name; what the MLX writer needs. */
  public Map<String, QuantSetting> quantizedSettings() {
    Map<String, QuantSetting> settings = new TreeMap<>();
    for (Entry entry : entries.values()) {
      if (entry.disposition() == Disposition.QUANTIZED) {
        settings.put(entry.name(), entry.setting());
      }
    }
    return settings;
  }

  /**
   * Formats the plan as text: every tensor with group, layer, shape, dtype, setting and MLX bytes,
   * then per-group totals, the model total with bits per weight, and the warnings.
   */
  public String report() {
    return QuantPlanReport.format(this);
  }

  /** Returns the counts of entries by disposition, for logs. */
  public Map<Disposition, Integer> dispositionCounts() {
    Map<Disposition, Integer> counts = new LinkedHashMap<>();
    for (Disposition disposition : Disposition.values()) {
      counts.put(disposition, 0);
    }
    for (Entry entry : entries.values()) {
      counts.merge(entry.disposition(), 1, Integer::sum);
    }
    return counts;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "QuantPlan[%s %s, %d tensors, %d bytes, %.3f bpw]",
        config.id(),
        config.label(),
        entries.size(),
        mlxBytes(),
        bitsPerWeight());
  }
}
