package io.bitsweep.quant;

import io.bitsweep.quant.QuantPlan.Entry;
import io.bitsweep.quant.QuantPlan.GroupTotals;
import java.util.Locale;
import java.util.Map;

/** Formats a {@link QuantPlan} as an aligned text table. */
final class QuantPlanReport {
  private QuantPlanReport() {}

  static String format(QuantPlan plan) {
    StringBuilder out = new StringBuilder();
    QuantConfig config = plan.config();
    out.append(
        String.format(
            Locale.ROOT,
            "configuration %s: %s%nhead: %s, %d decoder layers%n%n",
            config.id(),
            config.label(),
            plan.tying().name().toLowerCase(Locale.ROOT),
            plan.layerCount()));
    appendTensors(plan, out);
    appendGroupTotals(plan, out);
    out.append(
        String.format(
            Locale.ROOT,
            "%ntotal: %d bytes, %d parameters, %.4f bits per weight%n",
            plan.mlxBytes(),
            plan.parameterCount(),
            plan.bitsPerWeight()));
    if (!plan.warnings().isEmpty()) {
      out.append(String.format(Locale.ROOT, "%nwarnings:%n"));
      for (String warning : plan.warnings()) {
        out.append("  - ").append(warning).append(System.lineSeparator());
      }
    }
    return out.toString();
  }

  private static void appendTensors(QuantPlan plan, StringBuilder out) {
    int nameWidth = "tensor".length();
    int shapeWidth = "shape".length();
    for (Entry entry : plan.entries().values()) {
      nameWidth = Math.max(nameWidth, entry.name().length());
      shapeWidth = Math.max(shapeWidth, entry.info().shapeString().length());
    }
    String row = "%-" + nameWidth + "s  %-13s  %5s  %-" + shapeWidth + "s  %-5s  %-9s  %12s  %s%n";
    out.append(
        String.format(
            Locale.ROOT,
            row,
            "tensor",
            "group",
            "layer",
            "shape",
            "dtype",
            "setting",
            "MLX bytes",
            "note"));
    for (Entry entry : plan.entries().values()) {
      TensorRole role = entry.role();
      String group = role.isGrouped() ? role.group().configName() : "-";
      String setting =
          switch (entry.disposition()) {
            case DROPPED -> "dropped";
            case KEPT -> role.isGrouped() ? "bf16" : "kept";
            case QUANTIZED -> entry.setting().label();
          };
      out.append(
          String.format(
              Locale.ROOT,
              row,
              entry.name(),
              group,
              role.layer() < 0 ? "-" : Integer.toString(role.layer()),
              entry.info().shapeString(),
              entry.info().dtype(),
              setting,
              entry.mlxBytes(),
              entry.note()));
    }
  }

  private static void appendGroupTotals(QuantPlan plan, StringBuilder out) {
    out.append(String.format(Locale.ROOT, "%ngroups:%n"));
    for (Map.Entry<LayerGroup, GroupTotals> total : plan.groupTotals().entrySet()) {
      GroupTotals totals = total.getValue();
      out.append(
          String.format(
              Locale.ROOT,
              "  %-13s  %-18s  %4d tensors  %12d parameters  %12d bytes  %7.4f bpw%n",
              total.getKey().configName(),
              groupSettingLabel(plan.config(), total.getKey()),
              totals.tensors(),
              totals.parameters(),
              totals.mlxBytes(),
              totals.bitsPerWeight()));
    }
  }

  /** Returns the group's setting, marked when layer ranges override it for some layers. */
  private static String groupSettingLabel(QuantConfig config, LayerGroup group) {
    String label = config.groupSetting(group).label();
    for (QuantRule rule : config.rangeRules()) {
      if (rule.group() == group) {
        return label + " (ranges)";
      }
    }
    return label;
  }
}
