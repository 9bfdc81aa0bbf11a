package io.bitsweep.mlx;

import io.bitsweep.mlx.MlxConfigFiles.ModuleSetting;
import io.bitsweep.mlx.MlxParameter.Segment;
import io.bitsweep.mlx.StoredParameter.FileTensor;
import io.bitsweep.model.Architecture;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.Disposition;
import io.bitsweep.quant.QuantPlan.Entry;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tensors the writer stores: every MLX parameter with its setting and dtype, taken from a
 * {@link QuantPlan} resolved against the checkpoint. Its byte count must equal the plan's size
 * accounting, and the constructor checks that it does.
 */
final class MlxWritePlan {
  private final QuantPlan plan;
  private final List<StoredParameter> parameters;

  private MlxWritePlan(QuantPlan plan, List<StoredParameter> parameters) {
    this.plan = plan;
    this.parameters = List.copyOf(parameters);
    long bytes = byteLength();
    if (bytes != plan.mlxBytes()) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "The MLX layout of configuration %s takes %d bytes, but the plan's size accounting"
                  + " says %d; the writer and MlxSize disagree",
              plan.config().id(),
              bytes,
              plan.mlxBytes()));
    }
  }

  /**
   * Lays out the plan's written tensors as MLX parameters.
   *
   * @param source the weights the writer will read; each tensor's shape and dtype must match the
   *     checkpoint's
   * @throws MlxException when a tensor's weight source disagrees with the checkpoint, or when the
   *     sources of one MLX parameter have different settings or dtypes
   */
  static MlxWritePlan of(Architecture architecture, QuantPlan plan, WeightSource source) {
    Map<String, long[]> shapes = new TreeMap<>();
    for (Entry entry : plan.entries().values()) {
      if (entry.disposition() != Disposition.DROPPED) {
        checkSource(entry.info(), source);
        shapes.put(entry.name(), entry.info().shape().clone());
      }
    }
    boolean tied = plan.tying() == QuantPlan.HeadTying.TIED;
    MlxLayout layout = MlxLayout.build(architecture, shapes, tied);
    List<StoredParameter> stored = new ArrayList<>();
    for (MlxParameter parameter : layout.parameters().values()) {
      stored.add(store(parameter, plan));
    }
    return new MlxWritePlan(plan, stored);
  }

  private static void checkSource(TensorInfo expected, WeightSource source) {
    TensorInfo found = source.info(expected.name());
    if (!Arrays.equals(found.shape(), expected.shape()) || found.dtype() != expected.dtype()) {
      throw new MlxException(
          String.format(
              Locale.ROOT,
              "Cannot write %s: the weight source gives %s %s, the checkpoint stores %s %s; a"
                  + " weight transform must keep every tensor's shape and dtype",
              expected.name(),
              found.dtype(),
              found.shapeString(),
              expected.dtype(),
              expected.shapeString()));
    }
  }

  private static StoredParameter store(MlxParameter parameter, QuantPlan plan) {
    Entry first = plan.entry(parameter.segments().get(0).source());
    for (Segment segment : parameter.segments()) {
      Entry entry = plan.entry(segment.source());
      boolean sameSetting = entry.setting().equals(first.setting());
      if (!sameSetting || entry.info().dtype() != first.info().dtype()) {
        throw new MlxException(
            String.format(
                Locale.ROOT,
                "Cannot write %s: its sources %s (%s, %s) and %s (%s, %s) differ, but one MLX"
                    + " tensor has one setting and dtype",
                parameter.name(),
                first.name(),
                first.setting().label(),
                first.info().dtype(),
                entry.name(),
                entry.setting().label(),
                entry.info().dtype()));
      }
    }
    return new StoredParameter(parameter, first.setting(), first.info().dtype());
  }

  List<StoredParameter> parameters() {
    return parameters;
  }

  QuantPlan quantPlan() {
    return plan;
  }

  /** Returns every tensor the shard files hold. */
  List<FileTensor> fileTensors() {
    List<FileTensor> tensors = new ArrayList<>();
    for (StoredParameter parameter : parameters) {
      tensors.addAll(parameter.fileTensors());
    }
    return tensors;
  }

  /** Returns the modules, as the {@code quantization} block of config.json lists them. */
  List<ModuleSetting> modules() {
    List<ModuleSetting> modules = new ArrayList<>();
    for (StoredParameter stored : parameters) {
      MlxParameter parameter = stored.parameter();
      if (parameter.modulePath() == null) {
        continue;
      }
      boolean grouped = true;
      for (Segment segment : parameter.segments()) {
        grouped &= plan.entry(segment.source()).role().isGrouped();
      }
      boolean quantizable = grouped && parameter.rank() >= 2;
      modules.add(
          new ModuleSetting(
              parameter.modulePath(), stored.setting(), parameter.lastDim(), quantizable));
    }
    return modules;
  }

  /** Returns whether any tensor's setting requests AWQ scaling. */
  boolean usesAwq() {
    for (StoredParameter parameter : parameters) {
      if (parameter.setting().awq()) {
        return true;
      }
    }
    return false;
  }

  /** Returns the bytes of every stored tensor. */
  long byteLength() {
    long total = 0;
    for (StoredParameter parameter : parameters) {
      total += parameter.byteLength();
    }
    return total;
  }

  /** Returns the parameter count as mlx-lm's {@code get_total_parameters} computes it. */
  long parameterCount() {
    long total = 0;
    for (StoredParameter parameter : parameters) {
      total += parameter.parameterCount();
    }
    return total;
  }

  /** Returns the number of quantized MLX parameters. */
  long quantizedCount() {
    return parameters.stream().filter(StoredParameter::quantized).count();
  }
}
