package io.bitsweep.mlx;

import io.bitsweep.mlx.MlxParameter.Segment;
import io.bitsweep.model.Architecture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mapping between a Hugging Face checkpoint's tensors and the parameters of the mlx-lm model,
 * as mlx-lm's {@code sanitize} would produce them:
 *
 * <ul>
 *   <li>names follow {@link MlxNames};
 *   <li>{@code conv1d.weight} moves from {@code [C, 1, K]} to {@code [C, K, 1]}, which keeps the
 *       row-major order of the values;
 *   <li>zero-centred RMSNorm weights are marked for the {@code +1} shift;
 *   <li>Qwen3.5 MoE's {@code experts.gate_up_proj [E, 2·I, H]} splits into {@code
 *       switch_mlp.gate_proj.weight} (the first I rows of each expert) and {@code
 *       switch_mlp.up_proj.weight}, and {@code experts.down_proj} becomes {@code
 *       switch_mlp.down_proj.weight};
 *   <li>Qwen3-Next's per-expert {@code experts.{e}.gate_proj.weight} (and up, down) stack into
 *       {@code switch_mlp.gate_proj.weight [E, out, in]};
 *   <li>a tied head stored only as {@code lm_head.weight} becomes the embedding.
 * </ul>
 *
 * <p>Every mapping keeps whole rows together, so quantizing a parameter row by row gives the same
 * values as quantizing its source tensors.
 */
final class MlxLayout {
  private static final Pattern FUSED_EXPERTS =
      Pattern.compile("^(.*\\.mlp)\\.experts\\.(gate_up_proj|down_proj)(?:\\.weight)?$");
  private static final Pattern PER_EXPERT =
      Pattern.compile(
          "^(.*\\.mlp)\\.experts\\.(\\d{1,6})\\.(gate_proj|up_proj|down_proj)\\.weight$");

  /** A segment of a parameter, seen from its source tensor. */
  record Placement(MlxParameter parameter, Segment segment) {}

  private final MlxNames names;
  private final Map<String, MlxParameter> parameters = new TreeMap<>();
  private final Map<String, List<Placement>> placements = new TreeMap<>();
  private final Map<String, long[]> sourceShapes;

  private MlxLayout(MlxNames names, Map<String, long[]> sourceShapes) {
    this.names = names;
    this.sourceShapes = sourceShapes;
  }

  /**
   * Builds the layout of the given Hugging Face tensors (the ones the MLX model keeps: no vision
   * tower, MTP head or tied {@code lm_head} beside an embedding).
   *
   * @param tiedHead whether the head is tied to the embedding, so that a lone {@code
   *     lm_head.weight} is the embedding
   * @throws MlxException when expert tensors are incomplete or two tensors map to one MLX name
   */
  static MlxLayout build(
      Architecture architecture, Map<String, long[]> sourceShapes, boolean tiedHead) {
    MlxLayout layout = new MlxLayout(new MlxNames(architecture), new TreeMap<>(sourceShapes));
    layout.addAll(tiedHead);
    return layout;
  }

  /** Returns the naming rules used. */
  MlxNames names() {
    return names;
  }

  /** Returns every MLX parameter, by name in sorted order. */
  Map<String, MlxParameter> parameters() {
    return Collections.unmodifiableMap(parameters);
  }

  /** Returns the segments a source tensor's values are placed in, in source order. */
  List<Placement> placements(String sourceName) {
    List<Placement> found = placements.get(sourceName);
    if (found == null) {
      throw new MlxException(
          "Tensor "
              + sourceName
              + " is not part of the MLX model layout; it is dropped or"
              + " unknown to config.json");
    }
    return found;
  }

  /** Returns whether a source tensor is part of the layout. */
  boolean containsSource(String sourceName) {
    return placements.containsKey(sourceName);
  }

  /** Returns the shape of a source tensor. */
  long[] sourceShape(String sourceName) {
    return sourceShapes.get(sourceName).clone();
  }

  private void addAll(boolean tiedHead) {
    Map<String, Map<Integer, String>> experts = new TreeMap<>();
    for (Map.Entry<String, long[]> entry : sourceShapes.entrySet()) {
      String name = entry.getKey();
      long[] shape = entry.getValue();
      Matcher fused = FUSED_EXPERTS.matcher(name);
      Matcher perExpert = PER_EXPERT.matcher(name);
      if (fused.matches()) {
        addFusedExperts(name, shape, fused.group(1), fused.group(2));
      } else if (perExpert.matches()) {
        String key = perExpert.group(1) + ".switch_mlp." + perExpert.group(3) + ".weight";
        experts
            .computeIfAbsent(key, k -> new TreeMap<>())
            .put(Integer.parseInt(perExpert.group(2)), name);
      } else if (name.endsWith("conv1d.weight") && shape.length == 3 && shape[1] == 1) {
        addWhole(name, shape, names.mlxName(name), new long[] {shape[0], shape[2], 1});
      } else if (name.equals("lm_head.weight") && tiedHead) {
        addWhole(name, shape, names.embedding(), shape);
      } else {
        addWhole(name, shape, names.mlxName(name), shape);
      }
    }
    experts.forEach(this::addStackedExperts);
    for (List<Placement> list : placements.values()) {
      list.sort(java.util.Comparator.comparingLong(p -> p.segment().sourceOffset()));
    }
  }

  private void addWhole(String source, long[] shape, String target, long[] targetShape) {
    long count = MlxParameter.elementCount(shape);
    Segment segment = new Segment(source, 0, 0, count);
    boolean shifted = names.isShiftedNorm(target, targetShape.length);
    add(new MlxParameter(target, targetShape, List.of(segment), shifted));
  }

  /** Splits {@code gate_up_proj [E, 2I, H]} or renames {@code down_proj [E, H, I]}. */
  private void addFusedExperts(String source, long[] shape, String mlpPrefix, String kind) {
    if (shape.length != 3) {
      throw new MlxException(
          String.format(
              Locale.ROOT,
              "Cannot map %s to MLX: expected a 3-D expert tensor [experts, out, in], found shape"
                  + " %s",
              source,
              Arrays.toString(shape)));
    }
    String target = names.mlxName(mlpPrefix + ".switch_mlp.");
    if (kind.equals("down_proj")) {
      addWhole(source, shape, target + "down_proj.weight", shape);
      return;
    }
    if (shape[1] % 2 != 0) {
      throw new MlxException(
          String.format(
              Locale.ROOT,
              "Cannot split %s into gate and up projections: its middle dimension %d is odd;"
                  + " expected [experts, 2 * moe_intermediate_size, hidden_size]",
              source,
              shape[1]));
    }
    long half = shape[1] / 2;
    long[] halfShape = {shape[0], half, shape[2]};
    long expertSize = shape[1] * shape[2];
    long halfSize = half * shape[2];
    for (int part = 0; part < 2; part++) {
      List<Segment> segments = new ArrayList<>();
      for (long e = 0; e < shape[0]; e++) {
        segments.add(new Segment(source, e * expertSize + part * halfSize, e * halfSize, halfSize));
      }
      String name = target + (part == 0 ? "gate_proj.weight" : "up_proj.weight");
      add(new MlxParameter(name, halfShape, segments, false));
    }
  }

  /** Stacks {@code experts.{e}.X.weight [out, in]} for e = 0..E-1 into {@code [E, out, in]}. */
  private void addStackedExperts(String hfTarget, Map<Integer, String> byExpert) {
    List<Segment> segments = new ArrayList<>();
    long[] expertShape = null;
    int expected = 0;
    for (Map.Entry<Integer, String> entry : byExpert.entrySet()) {
      String source = entry.getValue();
      long[] shape = sourceShapes.get(source);
      if (entry.getKey() != expected) {
        throw new MlxException(
            "Cannot stack the experts of "
                + hfTarget
                + ": expert "
                + expected
                + " is missing"
                + " (found expert "
                + entry.getKey()
                + " next); the checkpoint is incomplete");
      }
      if (expertShape != null && !Arrays.equals(shape, expertShape)) {
        throw new MlxException(
            String.format(
                Locale.ROOT,
                "Cannot stack %s: shape %s differs from expert 0's %s",
                source,
                Arrays.toString(shape),
                Arrays.toString(expertShape)));
      }
      expertShape = shape;
      long size = MlxParameter.elementCount(shape);
      segments.add(new Segment(source, 0, expected * size, size));
      expected++;
    }
    long[] stacked = new long[expertShape.length + 1];
    stacked[0] = expected;
    System.arraycopy(expertShape, 0, stacked, 1, expertShape.length);
    add(new MlxParameter(names.mlxName(hfTarget), stacked, segments, false));
  }

  private void add(MlxParameter parameter) {
    MlxParameter previous = parameters.put(parameter.name(), parameter);
    if (previous != null) {
      throw new MlxException(
          "Cannot map both "
              + previous.segments().get(0).source()
              + " and "
              + parameter.segments().get(0).source()
              + " to the MLX tensor "
              + parameter.name()
              + "; the checkpoint holds two copies of one weight");
    }
    for (Segment segment : parameter.segments()) {
      placements
          .computeIfAbsent(segment.source(), s -> new ArrayList<>())
          .add(new Placement(parameter, segment));
    }
  }
}
