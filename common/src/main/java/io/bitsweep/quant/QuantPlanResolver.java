package io.bitsweep.quant;

import io.bitsweep.quant.QuantPlan.Disposition;
import io.bitsweep.quant.QuantPlan.Entry;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Builds a {@link QuantPlan}, collecting every problem before failing. */
final class QuantPlanResolver {
  private final QuantConfig config;
  private final Map<String, TensorInfo> tensors;
  private final HeadTying tying;
  private final List<String> problems = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  QuantPlanResolver(QuantConfig config, Map<String, TensorInfo> tensors, HeadTying tying) {
    this.config = config;
    this.tensors = tensors;
    this.tying = tying;
  }

  QuantPlan resolve() {
    int layerCount = layerCount();
    try {
      config.checkLayerRanges(layerCount);
    } catch (QuantConfigException e) {
      problems.add(e.getMessage());
    }
    boolean hasEmbedding = hasEmbedding();
    Map<String, Entry> entries = new TreeMap<>();
    for (TensorInfo info : tensors.values()) {
      entries.put(info.name(), entry(info, hasEmbedding));
    }
    checkRulesMatch(entries);
    if (!problems.isEmpty()) {
      throw new QuantConfigException(
          String.format(
              Locale.ROOT,
              "Cannot apply configuration %s (%s) to this checkpoint: %s",
              config.id(),
              config.label(),
              String.join("; ", problems)));
    }
    return QuantPlan.create(config, tying, layerCount, entries, warnings);
  }

  private int layerCount() {
    int max = -1;
    for (String name : tensors.keySet()) {
      TensorRole role = TensorRole.of(name);
      if (role.kind() != TensorRole.Kind.DROPPED) {
        max = Math.max(max, role.layer());
      }
    }
    return max + 1;
  }

  private boolean hasEmbedding() {
    for (String name : tensors.keySet()) {
      if (TensorRole.of(name).group() == LayerGroup.EMBED) {
        return true;
      }
    }
    return false;
  }

  private Entry entry(TensorInfo info, boolean hasEmbedding) {
    TensorRole role = TensorRole.of(info.name());
    if (role.kind() == TensorRole.Kind.DROPPED) {
      return dropped(info, role, "vision tower or MTP head, not part of the MLX text model");
    }
    String note = "";
    if (role.group() == LayerGroup.LM_HEAD && tying == HeadTying.TIED) {
      if (hasEmbedding) {
        return dropped(info, role, "tied head: MLX computes the logits with the embedding");
      }
      role = new TensorRole(TensorRole.Kind.GROUPED, LayerGroup.EMBED, -1);
      note = "tied head stored only as lm_head.weight: it is the embedding";
    }
    if (!role.isGrouped()) {
      return kept(info, role);
    }
    QuantSetting setting = config.settingFor(role.group(), role.layer());
    if (!setting.isQuantized()) {
      return new Entry(
          info, role, Disposition.KEPT, setting, MlxSize.mlxBytes(info, setting), note);
    }
    try {
      MlxSize.checkQuantizable(info, setting);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage() + " (setting " + setting.label() + " of " + role.group() + ")");
      return new Entry(info, role, Disposition.QUANTIZED, setting, 0, note);
    }
    return new Entry(
        info, role, Disposition.QUANTIZED, setting, MlxSize.mlxBytes(info, setting), note);
  }

  private Entry dropped(TensorInfo info, TensorRole role, String note) {
    return new Entry(info, role, Disposition.DROPPED, QuantSetting.BF16, 0, note);
  }

  private Entry kept(TensorInfo info, TensorRole role) {
    String note = "";
    if (role.kind() == TensorRole.Kind.UNKNOWN) {
      note = "matches no layer group; kept unquantized";
      if (info.shape().length >= 2) {
        warnings.add(
            info.name()
                + " "
                + info.shapeString()
                + " matches no layer group and stays unquantized; if it should be quantized, its"
                + " name pattern is missing from TensorRole");
      }
    }
    return new Entry(
        info,
        role,
        Disposition.KEPT,
        QuantSetting.BF16,
        MlxSize.mlxBytes(info, QuantSetting.BF16),
        note);
  }

  /** Reports every rule as written that covers no written tensor. */
  private void checkRulesMatch(Map<String, Entry> entries) {
    for (QuantRule rule : config.rules()) {
      if (matchCount(rule, entries) > 0) {
        continue;
      }
      if (rule.group() == LayerGroup.LM_HEAD && tying == HeadTying.TIED) {
        warnings.add(
            "groups.lm_head: the head is tied to the embedding, so setting "
                + rule.setting().label()
                + " does not apply; the shared matrix takes the embed setting "
                + config.groupSetting(LayerGroup.EMBED).label());
        continue;
      }
      problems.add(
          "groups."
              + rule.key()
              + ": matches no tensor in the checkpoint; remove the entry or fix its group or layer"
              + " range (the checkpoint has "
              + presentGroups(entries)
              + ")");
    }
  }

  private static int matchCount(QuantRule rule, Map<String, Entry> entries) {
    int count = 0;
    for (Entry entry : entries.values()) {
      TensorRole role = entry.role();
      if (entry.disposition() != Disposition.DROPPED
          && role.group() == rule.group()
          && rule.covers(role.layer())) {
        count++;
      }
    }
    return count;
  }

  /** Lists the groups present, each with its layer span, such as {@code gdn_out@0-6}. */
  private static String presentGroups(Map<String, Entry> entries) {
    Map<LayerGroup, int[]> spans = new TreeMap<>();
    for (Entry entry : entries.values()) {
      TensorRole role = entry.role();
      if (!role.isGrouped() || entry.disposition() == Disposition.DROPPED) {
        continue;
      }
      int[] span = spans.computeIfAbsent(role.group(), g -> new int[] {role.layer(), role.layer()});
      span[0] = Math.min(span[0], role.layer());
      span[1] = Math.max(span[1], role.layer());
    }
    List<String> names = new ArrayList<>();
    spans.forEach(
        (group, span) ->
            names.add(span[0] < 0 ? group.configName() : group + "@" + span[0] + "-" + span[1]));
    return names.isEmpty() ? "no grouped tensors" : String.join(", ", names);
  }
}
