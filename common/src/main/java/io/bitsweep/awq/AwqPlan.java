package io.bitsweep.awq;

import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.Disposition;
import io.bitsweep.quant.QuantSetting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The AWQ units a resolved configuration turns on, and the settings that determine each unit's
 * search. A unit is on when its projections' settings request AWQ; every setting with AWQ must
 * belong to a unit's projections.
 */
final class AwqPlan {
  private final QuantPlan plan;
  private final List<AwqUnit> active;
  private final Map<Integer, AwqUnit> downByLayer = new LinkedHashMap<>();

  private AwqPlan(QuantPlan plan, List<AwqUnit> active) {
    this.plan = plan;
    this.active = List.copyOf(active);
    for (AwqUnit unit : active) {
      if (unit.kind() == AwqUnit.Kind.MLP_DOWN) {
        downByLayer.put(unit.layer(), unit);
      }
    }
  }

  /**
   * Finds the units a plan turns on.
   *
   * @throws UnsupportedOperationException naming a tensor with AWQ that no unit covers
   * @throws IllegalStateException when only some projections of a unit request AWQ
   */
  static AwqPlan of(ModelConfig config, QuantPlan plan, WeightSource origin) {
    TreeSet<String> uncovered = new TreeSet<>();
    for (QuantPlan.Entry entry : plan.entries().values()) {
      if (entry.disposition() == Disposition.QUANTIZED && entry.setting().awq()) {
        uncovered.add(entry.name());
      }
    }
    List<AwqUnit> active = new ArrayList<>();
    if (uncovered.isEmpty()) {
      return new AwqPlan(plan, active);
    }
    for (AwqUnit unit : AwqUnits.of(config)) {
      List<String> asking = unit.projections().stream().filter(uncovered::contains).toList();
      if (asking.isEmpty()) {
        continue;
      }
      if (asking.size() != unit.projections().size()) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "Cannot apply AWQ to %s: only %s of its projections %s request it; give every"
                    + " projection of the unit the same setting",
                unit.label(),
                asking,
                unit.projections()));
      }
      checkPresent(unit, origin);
      active.add(unit);
      uncovered.removeAll(asking);
    }
    if (!uncovered.isEmpty()) {
      throw new UnsupportedOperationException(
          "AWQ is not supported for "
              + uncovered
              + ": no norm or linear layer that bitsweep can fold scales into feeds them"
              + " (mixture-of-experts blocks are not covered); remove awq from their group");
    }
    return new AwqPlan(plan, active);
  }

  private static void checkPresent(AwqUnit unit, WeightSource origin) {
    List<String> needed = new ArrayList<>(unit.readers());
    needed.add(unit.previous());
    for (String name : needed) {
      if (!origin.contains(name)) {
        throw new IllegalStateException(
            "Cannot apply AWQ to " + unit.label() + ": the checkpoint has no tensor " + name);
      }
    }
  }

  /** Returns the units the plan turns on, in application order. */
  List<AwqUnit> active() {
    return active;
  }

  /** Returns the active {@code up_proj → down_proj} unit of a layer, or null. */
  AwqUnit downUnit(int layer) {
    return downByLayer.get(layer);
  }

  /** Returns how a reader is stored: its quantized setting, or bf16 when kept unquantized. */
  QuantSetting setting(String tensor) {
    QuantPlan.Entry entry = plan.entries().get(tensor);
    if (entry == null || entry.disposition() != Disposition.QUANTIZED) {
      return QuantSetting.BF16;
    }
    return entry.setting();
  }

  /**
   * Returns a key of everything a unit's search depends on besides the weights and statistics: the
   * unit, its readers' settings and, for {@code post_attention_layernorm}, the key of the same
   * layer's active {@code up_proj → down_proj} unit, whose scales change {@code up_proj} first.
   */
  String searchKey(AwqUnit unit) {
    StringBuilder key = new StringBuilder(unit.label());
    for (String reader : unit.readers()) {
      key.append(' ').append(setting(reader).label());
    }
    AwqUnit down = downUnit(unit.layer());
    if (unit.kind() == AwqUnit.Kind.MLP_INPUT && down != null) {
      key.append(" after ").append(searchKey(down));
    }
    return key.toString();
  }

  /**
   * Returns a one-line list of the plan's AWQ units, for the error when no statistics are given.
   */
  String describe() {
    List<String> labels = new ArrayList<>();
    for (AwqUnit unit : active) {
      labels.add(unit.label());
    }
    return labels.size() <= 4
        ? String.join(", ", labels)
        : String.join(", ", labels.subList(0, 4)) + " and " + (labels.size() - 4) + " more";
  }
}
