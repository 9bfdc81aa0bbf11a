package io.bitsweep.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.ConfigNodes;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantConfigException;
import io.bitsweep.quant.QuantRule;
import io.bitsweep.quant.QuantSetting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sweep spec: a YAML file in {@code conf/sweeps/} whose blocks generate configurations.
 *
 * <pre>{@code
 * name: smoke
 * description: free text
 * blocks:
 *   - name: uniform
 *     kind: uniform            # every group at one setting
 *     settings: [bf16, 8, 4, 2]
 *   - name: one-group
 *     kind: vary               # one target at a time on a base
 *     base: 4                  # a setting, or a configuration {default: ..., groups: ...}
 *     groups: [mlp_up, gdn_out@0-5]
 *     settings: [bf16, 8, 3]   # or bits: [4] with group_sizes: [32, 128]
 *     awq: true                # optional: AWQ on every setting of the block
 *   - name: grid
 *     kind: grid               # cartesian product over the axes
 *     base: 4
 *     axes: {mlp_up: [3, 2], mlp_down: [5, 6]}
 *   - name: recipes
 *     kind: recipes            # named configurations
 *     recipes: {my-recipe: {default: 3, groups: {embed: 5}}}
 * }</pre>
 *
 * <p>Settings use the forms of {@link QuantSetting}: {@code bf16}, a bit width at group size 64,
 * {@code "4/32"}, {@code "5/64+awq"} or an object.
 *
 * @param name the spec's name
 * @param description free text, may be empty
 * @param blocks the blocks, in order
 */
public record SweepSpec(String name, String description, List<SweepBlock> blocks) {
  private static final List<String> FIELDS = List.of("name", "description", "blocks");
  private static final List<String> BLOCK_FIELDS =
      List.of(
          "name",
          "kind",
          "settings",
          "bits",
          "group_sizes",
          "awq",
          "base",
          "groups",
          "axes",
          "recipes");

  public SweepSpec {
    blocks = List.copyOf(blocks);
  }

  /**
   * Reads a spec file.
   *
   * @throws QuantConfigException naming the file and the field path of the first problem
   */
  public static SweepSpec load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new QuantConfigException(
          "Cannot read sweep spec " + file + ": " + e.getMessage() + "; check the path", e);
    }
    return parse(text, file.toString());
  }

  /**
   * Parses a spec.
   *
   * @param source the file name printed in errors
   */
  public static SweepSpec parse(String yaml, String source) {
    JsonNode root = ConfigNodes.parse(new YAMLMapper(), yaml, source);
    try {
      return fromTree(root);
    } catch (QuantConfigException e) {
      throw new QuantConfigException(source + ": " + e.getMessage(), e);
    }
  }

  private static SweepSpec fromTree(JsonNode root) {
    ConfigNodes.object(root, "sweep spec");
    ConfigNodes.checkFields(root, "", FIELDS);
    String name = ConfigNodes.text(ConfigNodes.required(root, "name", ""), "name");
    String description =
        root.has("description") ? ConfigNodes.text(root.get("description"), "description") : "";
    JsonNode blocksNode = ConfigNodes.list(ConfigNodes.required(root, "blocks", ""), "blocks");
    List<SweepBlock> blocks = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < blocksNode.size(); i++) {
      String path = ConfigNodes.element("blocks", i);
      SweepBlock block = block(blocksNode.get(i), path);
      if (!names.add(block.name())) {
        throw new QuantConfigException(
            path
                + ".name: block name \""
                + block.name()
                + "\" is used twice; names must be unique");
      }
      blocks.add(block);
    }
    return new SweepSpec(name, description, blocks);
  }

  private static SweepBlock block(JsonNode node, String path) {
    ConfigNodes.object(node, path);
    ConfigNodes.checkFields(node, path, BLOCK_FIELDS);
    String name = ConfigNodes.text(ConfigNodes.required(node, "name", path), path + ".name");
    String kind = ConfigNodes.text(ConfigNodes.required(node, "kind", path), path + ".kind");
    SweepBlock block =
        switch (kind) {
          case "uniform" -> new SweepBlock.Uniform(name, settings(node, path));
          case "vary" ->
              new SweepBlock.Vary(
                  name, base(node, path), targets(node, path), settings(node, path));
          case "grid" -> new SweepBlock.Grid(name, base(node, path), axes(node, path));
          case "recipes" -> new SweepBlock.Recipes(name, recipes(node, path));
          default ->
              throw new QuantConfigException(
                  path
                      + ".kind: unknown kind \""
                      + kind
                      + "\"; expected uniform, vary, grid or recipes");
        };
    try {
      block.generate();
    } catch (QuantConfigException e) {
      throw new QuantConfigException(path + ": " + e.getMessage(), e);
    }
    return block;
  }

  /** Reads {@code settings}, or {@code bits} x {@code group_sizes}, then applies {@code awq}. */
  private static List<QuantSetting> settings(JsonNode node, String path) {
    List<QuantSetting> settings = new ArrayList<>();
    if (node.has("settings")) {
      if (node.has("bits") || node.has("group_sizes")) {
        throw new QuantConfigException(
            path + ": give either settings or bits with group_sizes, not both");
      }
      settings.addAll(settingList(node.get("settings"), path + ".settings"));
    } else {
      JsonNode bits = ConfigNodes.list(ConfigNodes.required(node, "bits", path), path + ".bits");
      JsonNode sizes =
          ConfigNodes.list(ConfigNodes.required(node, "group_sizes", path), path + ".group_sizes");
      for (int i = 0; i < bits.size(); i++) {
        for (int j = 0; j < sizes.size(); j++) {
          String bitsPath = ConfigNodes.element(path + ".bits", i);
          String sizePath = ConfigNodes.element(path + ".group_sizes", j);
          settings.add(
              affine(
                  ConfigNodes.integer(bits.get(i), bitsPath),
                  bitsPath,
                  ConfigNodes.integer(sizes.get(j), sizePath),
                  sizePath));
        }
      }
    }
    boolean awq = node.has("awq") && ConfigNodes.bool(node.get("awq"), path + ".awq");
    if (!awq) {
      return settings;
    }
    List<QuantSetting> withAwq = new ArrayList<>();
    for (QuantSetting setting : settings) {
      try {
        withAwq.add(setting.withAwq());
      } catch (IllegalArgumentException e) {
        throw new QuantConfigException(path + ".awq: " + e.getMessage(), e);
      }
    }
    return withAwq;
  }

  private static QuantSetting affine(int bits, String bitsPath, int groupSize, String sizePath) {
    try {
      AffineQuantizer.checkBits(bits, bitsPath);
      AffineQuantizer.checkGroupSize(groupSize, sizePath);
    } catch (IllegalArgumentException e) {
      throw new QuantConfigException(e.getMessage(), e);
    }
    return QuantSetting.affine(bits, groupSize);
  }

  private static List<QuantSetting> settingList(JsonNode list, String path) {
    ConfigNodes.list(list, path);
    List<QuantSetting> settings = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      settings.add(QuantSetting.fromJson(list.get(i), ConfigNodes.element(path, i)));
    }
    return settings;
  }

  private static QuantConfig base(JsonNode node, String path) {
    JsonNode base = ConfigNodes.required(node, "base", path);
    if (base.isObject() && base.has("default")) {
      return QuantConfig.fromJson(base, path + ".base");
    }
    return QuantConfig.uniform(QuantSetting.fromJson(base, path + ".base"));
  }

  private static List<String> targets(JsonNode node, String path) {
    JsonNode list = ConfigNodes.list(ConfigNodes.required(node, "groups", path), path + ".groups");
    List<String> targets = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String where = ConfigNodes.element(path + ".groups", i);
      String target = ConfigNodes.text(list.get(i), where);
      QuantRule.parse(target, QuantSetting.BF16, where); // validates the key
      targets.add(target);
    }
    return targets;
  }

  private static List<Map.Entry<String, List<QuantSetting>>> axes(JsonNode node, String path) {
    JsonNode axes = ConfigNodes.object(ConfigNodes.required(node, "axes", path), path + ".axes");
    List<Map.Entry<String, List<QuantSetting>>> result = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = axes.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> axis = it.next();
      String where = path + ".axes." + axis.getKey();
      QuantRule.parse(axis.getKey(), QuantSetting.BF16, where); // validates the key
      result.add(Map.entry(axis.getKey(), settingList(axis.getValue(), where)));
    }
    if (result.isEmpty()) {
      throw new QuantConfigException(path + ".axes: expected at least one axis");
    }
    return result;
  }

  private static List<Map.Entry<String, QuantConfig>> recipes(JsonNode node, String path) {
    JsonNode recipes =
        ConfigNodes.object(ConfigNodes.required(node, "recipes", path), path + ".recipes");
    List<Map.Entry<String, QuantConfig>> result = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = recipes.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> recipe = it.next();
      String where = path + ".recipes." + recipe.getKey();
      result.add(Map.entry(recipe.getKey(), QuantConfig.fromJson(recipe.getValue(), where)));
    }
    if (result.isEmpty()) {
      throw new QuantConfigException(path + ".recipes: expected at least one recipe");
    }
    return result;
  }

  /** Generates every block's configurations and removes duplicates by id. */
  public GeneratedSweep generate() {
    return GeneratedSweep.of(this);
  }
}
