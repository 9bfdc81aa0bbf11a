package io.bitsweep.sweep;

import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantRule;
import io.bitsweep.quant.QuantSetting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** One block of a sweep spec: a rule that generates configurations. */
public sealed interface SweepBlock {
  /** Returns the block's name, unique within its spec. */
  String name();

  /** Returns the kind as written in the spec, such as {@code vary}. */
  String kind();

  /** Generates this block's configurations, in a fixed order. */
  List<SweepEntry> generate();

  /** Summarises the block in one line for {@code describe()}. */
  String summary();

  /**
   * One configuration per setting, every group the same.
   *
   * @param name the block name
   * @param settings the settings, in order
   */
  record Uniform(String name, List<QuantSetting> settings) implements SweepBlock {
    public Uniform {
      settings = List.copyOf(settings);
    }

    @Override
    public String kind() {
      return "uniform";
    }

    @Override
    public List<SweepEntry> generate() {
      List<SweepEntry> entries = new ArrayList<>();
      for (QuantSetting setting : settings) {
        entries.add(
            new SweepEntry("uniform " + setting.label(), name, QuantConfig.uniform(setting)));
      }
      return entries;
    }

    @Override
    public String summary() {
      return "every group at " + labels(settings);
    }
  }

  /**
   * One group (or group layer range) varied at a time on a base: one configuration per target and
   * setting, target-major.
   *
   * @param name the block name
   * @param base the configuration the targets are varied on
   * @param targets group keys such as {@code mlp_up} or {@code gdn_out@0-5}
   * @param settings the settings each target takes
   */
  record Vary(String name, QuantConfig base, List<String> targets, List<QuantSetting> settings)
      implements SweepBlock {
    public Vary {
      targets = List.copyOf(targets);
      settings = List.copyOf(settings);
    }

    @Override
    public String kind() {
      return "vary";
    }

    @Override
    public List<SweepEntry> generate() {
      List<SweepEntry> entries = new ArrayList<>();
      for (String target : targets) {
        for (QuantSetting setting : settings) {
          QuantRule rule = QuantRule.parse(target, setting, name + "." + target);
          String label = rule + " on " + base.label();
          entries.add(new SweepEntry(label, name, base.with(rule)));
        }
      }
      return entries;
    }

    @Override
    public String summary() {
      return String.join(", ", targets) + " each at " + labels(settings) + " on " + base.label();
    }
  }

  /**
   * The cartesian product of several targets' settings on a base, in axis order (the first axis
   * varies slowest).
   *
   * @param name the block name
   * @param base the configuration the axes are applied to
   * @param axes each target key with its settings, in the spec's order
   */
  record Grid(String name, QuantConfig base, List<Map.Entry<String, List<QuantSetting>>> axes)
      implements SweepBlock {
    public Grid {
      axes = List.copyOf(axes);
    }

    @Override
    public String kind() {
      return "grid";
    }

    @Override
    public List<SweepEntry> generate() {
      List<SweepEntry> entries = new ArrayList<>();
      expand(0, base, new ArrayList<>(), entries);
      return entries;
    }

    private void expand(
        int axis, QuantConfig config, List<QuantRule> chosen, List<SweepEntry> out) {
      if (axis == axes.size()) {
        String label =
            chosen.stream().map(QuantRule::toString).collect(Collectors.joining(" "))
                + " on "
                + base.label();
        out.add(new SweepEntry(label, name, config));
        return;
      }
      String target = axes.get(axis).getKey();
      for (QuantSetting setting : axes.get(axis).getValue()) {
        QuantRule rule = QuantRule.parse(target, setting, name + "." + target);
        chosen.add(rule);
        expand(axis + 1, config.with(rule), chosen, out);
        chosen.remove(chosen.size() - 1);
      }
    }

    @Override
    public String summary() {
      return axes.stream()
              .map(axis -> axis.getKey() + " in " + labels(axis.getValue()))
              .collect(Collectors.joining(" x "))
          + " on "
          + base.label();
    }
  }

  /**
   * Explicit configurations, each with a name.
   *
   * @param name the block name
   * @param recipes recipe name and configuration, in the spec's order
   */
  record Recipes(String name, List<Map.Entry<String, QuantConfig>> recipes) implements SweepBlock {
    public Recipes {
      recipes = List.copyOf(recipes);
    }

    @Override
    public String kind() {
      return "recipes";
    }

    @Override
    public List<SweepEntry> generate() {
      List<SweepEntry> entries = new ArrayList<>();
      for (Map.Entry<String, QuantConfig> recipe : recipes) {
        entries.add(new SweepEntry(recipe.getKey(), name, recipe.getValue()));
      }
      return entries;
    }

    @Override
    public String summary() {
      return recipes.stream().map(Map.Entry::getKey).collect(Collectors.joining(", "));
    }
  }

  private static String labels(List<QuantSetting> settings) {
    return settings.stream().map(QuantSetting::label).collect(Collectors.joining(", "));
  }
}
