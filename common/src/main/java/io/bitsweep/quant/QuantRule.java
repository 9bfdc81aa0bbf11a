package io.bitsweep.quant;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One entry of a configuration's {@code groups} object: a setting for a whole layer group ({@code
 * "mlp_up"}) or for the group's tensors in an inclusive range of decoder layers ({@code
 * "gdn_out@0-5"}, or {@code "gdn_out@3"} for one layer).
 *
 * @param group the layer group
 * @param firstLayer first layer of the range, or -1 for the whole group
 * @param lastLayer last layer of the range (inclusive), or -1 for the whole group
 * @param setting the setting the entry assigns
 */
public record QuantRule(LayerGroup group, int firstLayer, int lastLayer, QuantSetting setting) {
  private static final Pattern KEY = Pattern.compile("([a-z_]+)(?:@(\\d{1,6})(?:-(\\d{1,6}))?)?");

  public QuantRule {
    if (group == null || setting == null) {
      throw new IllegalArgumentException("QuantRule: group and setting are required");
    }
    boolean whole = firstLayer == -1 && lastLayer == -1;
    if (!whole && (firstLayer < 0 || lastLayer < firstLayer)) {
      throw new QuantConfigException(
          String.format(
              Locale.ROOT,
              "invalid layer range %d-%d for %s; write first-last with 0 <= first <= last",
              firstLayer,
              lastLayer,
              group));
    }
    if (!whole && group.scope() != LayerGroup.Scope.LAYER) {
      throw new QuantConfigException(
          String.format(
              Locale.ROOT,
              "%s is not inside the decoder layers, so it takes no layer range; write \"%s\"",
              group,
              group));
    }
    if (setting.awq() && !group.awqCorrectable()) {
      throw new QuantConfigException(
          String.format(
              Locale.ROOT,
              "AWQ cannot correct %s because no norm or linear layer that could absorb the scales"
                  + " feeds it directly; AWQ applies to %s",
              group,
              awqGroups()));
    }
  }

  /** A rule for a whole group. */
  public static QuantRule forGroup(LayerGroup group, QuantSetting setting) {
    return new QuantRule(group, -1, -1, setting);
  }

  /** A rule for a group's tensors in layers {@code first..last}, inclusive. */
  public static QuantRule forLayers(LayerGroup group, int first, int last, QuantSetting setting) {
    return new QuantRule(group, first, last, setting);
  }

  /**
   * Parses a {@code groups} key and pairs it with a setting.
   *
   * @param path the field path printed in errors
   */
  public static QuantRule parse(String key, QuantSetting setting, String path) {
    Matcher matcher = KEY.matcher(key);
    if (!matcher.matches()) {
      throw new QuantConfigException(
          path
              + ": invalid key \""
              + key
              + "\"; write a layer group such as mlp_up, or a group"
              + " with an inclusive layer range such as gdn_out@0-5");
    }
    LayerGroup group = LayerGroup.fromConfigName(matcher.group(1), path);
    try {
      if (matcher.group(2) == null) {
        return forGroup(group, setting);
      }
      int first = Integer.parseInt(matcher.group(2));
      int last = matcher.group(3) == null ? first : Integer.parseInt(matcher.group(3));
      return forLayers(group, first, last, setting);
    } catch (QuantConfigException e) {
      throw new QuantConfigException(path + ": " + e.getMessage(), e);
    }
  }

  static String awqGroups() {
    StringBuilder names = new StringBuilder();
    for (LayerGroup group : LayerGroup.values()) {
      if (group.awqCorrectable()) {
        names.append(names.length() == 0 ? "" : ", ").append(group.configName());
      }
    }
    return names.toString();
  }

  /** Returns whether this rule covers a whole group rather than a layer range. */
  public boolean isWholeGroup() {
    return firstLayer == -1;
  }

  /** Returns whether this rule covers {@code layer}; a whole-group rule covers every layer. */
  public boolean covers(int layer) {
    return isWholeGroup() || (layer >= firstLayer && layer <= lastLayer);
  }

  /** The key as written in canonical JSON: {@code mlp_up} or {@code gdn_out@0-5}. */
  public String key() {
    if (isWholeGroup()) {
      return group.configName();
    }
    return group.configName() + "@" + firstLayer + "-" + lastLayer;
  }

  @Override
  public String toString() {
    return key() + "=" + setting.label();
  }
}
