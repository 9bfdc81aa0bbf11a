package io.bitsweep.quant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A configuration: a setting for every layer group, written as JSON such as
 *
 * <pre>{@code
 * {"default": {"bits": 4, "group_size": 64},
 *  "groups": {"mlp_up": {"bits": 3, "group_size": 64}, "gdn_out": "bf16",
 *             "attn_qkv": {"bits": 5, "group_size": 64, "awq": true},
 *             "mlp_down@0-3": {"bits": 6, "group_size": 32}}}
 * }</pre>
 *
 * <p>Groups not named take the default. A layer-range entry ({@code group@first-last}, inclusive)
 * overrides its group for those layers. Ranges of one group may not overlap unless they assign the
 * same setting.
 *
 * <p>The canonical JSON has sorted keys, no whitespace and normalised values: group entries equal
 * to the default and range entries equal to their group's setting are dropped, and touching or
 * overlapping ranges with one setting are merged. Two configurations that resolve identically on
 * every model therefore get the same canonical JSON and the same {@link #id}. Equality follows the
 * canonical JSON. The rules as written are kept in {@link #rules} so that a plan can report an
 * entry that matches no tensor even when normalisation dropped it.
 */
public final class QuantConfig {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIELDS = List.of("default", "groups");

  private final QuantSetting defaultSetting;
  private final List<QuantRule> rules;
  private final Map<LayerGroup, QuantSetting> groupSettings;
  private final List<QuantRule> rangeRules;
  private final String canonicalJson;
  private final String id;

  private QuantConfig(QuantSetting defaultSetting, List<QuantRule> rules) {
    this.defaultSetting = defaultSetting;
    this.rules = List.copyOf(rules);
    this.groupSettings = Collections.unmodifiableMap(groupSettings(defaultSetting, rules));
    this.rangeRules = List.copyOf(normalisedRanges(rules));
    this.canonicalJson = buildCanonicalJson();
    this.id = sha256Prefix(canonicalJson);
  }

  /**
   * Creates a configuration from a default and rules in the order written.
   *
   * @throws QuantConfigException when a group is set twice, when ranges of one group overlap with
   *     different settings, or when the default sets AWQ
   */
  public static QuantConfig of(QuantSetting defaultSetting, List<QuantRule> rules) {
    if (defaultSetting.awq()) {
      throw new QuantConfigException(
          "default.awq: AWQ is set per group, because only some groups can absorb its scales;"
              + " set \"awq\": true on "
              + QuantRule.awqGroups());
    }
    return new QuantConfig(defaultSetting, rules);
  }

  /** Creates a configuration that gives every group the same setting. */
  public static QuantConfig uniform(QuantSetting setting) {
    return of(setting, List.of());
  }

  /** Returns a copy with {@code rule} added, replacing a rule with the same key. */
  public QuantConfig with(QuantRule rule) {
    List<QuantRule> updated = new ArrayList<>();
    for (QuantRule existing : rules) {
      if (!existing.key().equals(rule.key())) {
        updated.add(existing);
      }
    }
    updated.add(rule);
    return of(defaultSetting, updated);
  }

  /**
   * Parses a configuration file's text.
   *
   * @param source the file name printed in errors
   * @throws QuantConfigException naming the source and the field path, or the line and column of a
   *     syntax error
   */
  public static QuantConfig parse(String json, String source) {
    JsonNode root = ConfigNodes.parse(JSON, json, source);
    try {
      return fromJson(root, "");
    } catch (QuantConfigException e) {
      throw new QuantConfigException(source + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a configuration from a parsed JSON or YAML object.
   *
   * @param path the field path of {@code node}, empty at the document root
   */
  public static QuantConfig fromJson(JsonNode node, String path) {
    ConfigNodes.object(node, path.isEmpty() ? "configuration" : path);
    ConfigNodes.checkFields(node, path, FIELDS);
    String defaultPath = ConfigNodes.child(path, "default");
    QuantSetting defaultSetting =
        QuantSetting.fromJson(ConfigNodes.required(node, "default", path), defaultPath);
    List<QuantRule> rules = new ArrayList<>();
    JsonNode groups = node.get("groups");
    if (groups != null && !groups.isNull()) {
      String groupsPath = ConfigNodes.child(path, "groups");
      ConfigNodes.object(groups, groupsPath);
      for (Iterator<Map.Entry<String, JsonNode>> it = groups.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        String entryPath = ConfigNodes.child(groupsPath, entry.getKey());
        QuantSetting setting = QuantSetting.fromJson(entry.getValue(), entryPath);
        rules.add(QuantRule.parse(entry.getKey(), setting, entryPath));
      }
    }
    try {
      return of(defaultSetting, rules);
    } catch (QuantConfigException e) {
      throw new QuantConfigException(
          path.isEmpty() ? e.getMessage() : path + "." + e.getMessage(), e);
    }
  }

  private static Map<LayerGroup, QuantSetting> groupSettings(
      QuantSetting defaultSetting, List<QuantRule> rules) {
    Map<LayerGroup, QuantSetting> settings = new EnumMap<>(LayerGroup.class);
    Set<LayerGroup> seen = EnumSet.noneOf(LayerGroup.class);
    for (QuantRule rule : rules) {
      if (!rule.isWholeGroup()) {
        continue;
      }
      if (!seen.add(rule.group())) {
        throw new QuantConfigException(
            "groups." + rule.group() + ": set twice; keep one entry per group");
      }
      if (!rule.setting().equals(defaultSetting)) {
        settings.put(rule.group(), rule.setting());
      }
    }
    return settings;
  }

  /** Merges same-setting ranges, rejects conflicting overlaps, drops no-op ranges. */
  private List<QuantRule> normalisedRanges(List<QuantRule> rules) {
    List<QuantRule> ranges = new ArrayList<>();
    for (QuantRule rule : rules) {
      if (!rule.isWholeGroup()) {
        ranges.add(rule);
      }
    }
    ranges.sort(
        Comparator.comparing(QuantRule::group)
            .thenComparingInt(QuantRule::firstLayer)
            .thenComparingInt(QuantRule::lastLayer));
    List<QuantRule> merged = new ArrayList<>();
    for (QuantRule rule : ranges) {
      int last = merged.size() - 1;
      if (last >= 0 && touches(merged.get(last), rule)) {
        QuantRule previous = merged.get(last);
        if (previous.setting().equals(rule.setting())) {
          int lastLayer = Math.max(previous.lastLayer(), rule.lastLayer());
          merged.set(
              last,
              QuantRule.forLayers(rule.group(), previous.firstLayer(), lastLayer, rule.setting()));
          continue;
        }
        if (rule.firstLayer() <= previous.lastLayer()) {
          throw new QuantConfigException(
              String.format(
                  Locale.ROOT,
                  "groups: %s and %s overlap with different settings (%s, %s); make the ranges"
                      + " disjoint",
                  previous.key(),
                  rule.key(),
                  previous.setting().label(),
                  rule.setting().label()));
        }
      }
      merged.add(rule);
    }
    merged.removeIf(rule -> rule.setting().equals(groupSetting(rule.group())));
    return merged;
  }

  /**
   * Returns whether two ranges of one group overlap or are adjacent ({@code 0-3} and {@code 4-7}).
   */
  private static boolean touches(QuantRule previous, QuantRule rule) {
    return previous.group() == rule.group() && rule.firstLayer() <= previous.lastLayer() + 1;
  }

  public QuantSetting defaultSetting() {
    return defaultSetting;
  }

  /** Returns the rules as written, in order, before normalisation. */
  public List<QuantRule> rules() {
    return rules;
  }

  /** Returns the groups whose setting differs from the default, with that setting. */
  public Map<LayerGroup, QuantSetting> groupSettings() {
    return groupSettings;
  }

  /** Returns the normalised layer-range rules, by group and first layer. */
  public List<QuantRule> rangeRules() {
    return rangeRules;
  }

  /** Returns the setting of a whole group, before layer ranges. */
  public QuantSetting groupSetting(LayerGroup group) {
    return groupSettings.getOrDefault(group, defaultSetting);
  }

  /**
   * Returns the setting of a group's tensors in one layer: a covering range rule, else the group's
   * setting, else the default.
   *
   * @param layer the decoder layer, or -1 for tensors outside the decoder layers
   */
  public QuantSetting settingFor(LayerGroup group, int layer) {
    if (layer >= 0) {
      for (QuantRule rule : rangeRules) {
        if (rule.group() == group && rule.covers(layer)) {
          return rule.setting();
        }
      }
    }
    return groupSetting(group);
  }

  /**
   * Checks that every layer range lies inside a model of {@code layerCount} decoder layers.
   *
   * @throws QuantConfigException naming the entry, the range and the model's layers
   */
  public void checkLayerRanges(int layerCount) {
    for (QuantRule rule : rules) {
      if (!rule.isWholeGroup() && rule.lastLayer() >= layerCount) {
        throw new QuantConfigException(
            String.format(
                Locale.ROOT,
                "groups.%s: layer range %d-%d is outside the model, which has %d decoder layers"
                    + " (0-%d); narrow the range",
                rule.key(),
                rule.firstLayer(),
                rule.lastLayer(),
                layerCount,
                layerCount - 1));
      }
    }
  }

  /** Returns the canonical JSON: sorted keys, normalised values, no whitespace. */
  public String canonicalJson() {
    return canonicalJson;
  }

  /** Returns the first 16 hex digits of the SHA-256 of {@link #canonicalJson}. */
  public String id() {
    return id;
  }

  /**
   * Returns a short human label: the default, then each canonical entry, such as {@code 4/64
   * gdn_out=bf16 mlp_down@0-3=6/32 mlp_up=3/64}.
   */
  public String label() {
    StringBuilder label = new StringBuilder(defaultSetting.label());
    for (Map.Entry<String, QuantSetting> entry : canonicalGroups().entrySet()) {
      label.append(' ').append(entry.getKey()).append('=').append(entry.getValue().label());
    }
    return label.toString();
  }

  private Map<String, QuantSetting> canonicalGroups() {
    Map<String, QuantSetting> groups = new TreeMap<>();
    groupSettings.forEach((group, setting) -> groups.put(group.configName(), setting));
    for (QuantRule rule : rangeRules) {
      groups.put(rule.key(), rule.setting());
    }
    return groups;
  }

  private String buildCanonicalJson() {
    Map<String, Object> groups = new LinkedHashMap<>();
    canonicalGroups().forEach((key, setting) -> groups.put(key, setting.canonicalJsonValue()));
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("default", defaultSetting.canonicalJsonValue());
    root.put("groups", groups);
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write a map of strings and numbers as JSON", e);
    }
  }

  private static String sha256Prefix(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof QuantConfig that && canonicalJson.equals(that.canonicalJson);
  }

  @Override
  public int hashCode() {
    return canonicalJson.hashCode();
  }

  @Override
  public String toString() {
    return label();
  }
}
