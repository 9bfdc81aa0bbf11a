package io.bitsweep.awq;

import io.bitsweep.awq.AwqUnit.Previous;
import io.bitsweep.model.WeightSource;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/** Builds the search problem of a unit from the checkpoint weights and activation statistics. */
final class AwqProblems {
  private final WeightSource origin;
  private final ActivationStats stats;
  private final AwqPlan plan;

  AwqProblems(WeightSource origin, ActivationStats stats, AwqPlan plan) {
    this.origin = origin;
    this.stats = stats;
    this.plan = plan;
  }

  /**
   * Checks that the statistics hold the unit's input with the right width and sampled rows.
   *
   * @throws IllegalArgumentException naming the tensor, the expected and the found values
   */
  void checkStats(AwqUnit unit) {
    String input = unit.inputTensor();
    ActivationStats.TensorStats tensor = stats.get(input);
    long width = origin.info(input).lastDim();
    if (tensor.columns() != width || tensor.sampleRowCount() == 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot apply AWQ to %s: the activation statistics of %s have %d channels and %d"
                  + " sample rows, expected %d channels and at least one row; rerun `bitsweep"
                  + " reference` on this model",
              unit.label(),
              input,
              tensor.columns(),
              tensor.sampleRowCount(),
              width));
    }
  }

  /** Runs the unit's search; {@code results} supplies the scales of earlier units. */
  AwqResult search(AwqUnit unit, AwqSearch.Options options, Function<AwqUnit, AwqResult> results) {
    return new AwqSearch(options).search(problem(unit, results));
  }

  /**
   * Returns the unit's problem. For {@code post_attention_layernorm} the {@code up_proj} rows are
   * first divided by the scales of the layer's active {@code up_proj → down_proj} unit, when that
   * unit found scales.
   */
  AwqSearch.Problem problem(AwqUnit unit, Function<AwqUnit, AwqResult> results) {
    ActivationStats.TensorStats input = stats.get(unit.inputTensor());
    int in = input.columns();
    AwqUnit down = plan.downUnit(unit.layer());
    float[] upDivisors =
        unit.kind() == AwqUnit.Kind.MLP_INPUT && down != null ? results.apply(down).scales() : null;
    List<AwqSearch.Member> members = new ArrayList<>();
    for (String reader : unit.readers()) {
      float[] weight = origin.read(reader).clone();
      if (upDivisors != null && reader.equals(down.previous())) {
        AwqTransforms.divideRows(weight, in, upDivisors, 0);
      }
      TensorInfo info = origin.info(reader);
      members.add(
          new AwqSearch.Member(
              reader, weight, weight.length / in, info.dtype(), plan.setting(reader)));
    }
    return new AwqSearch.Problem(
        unit, input.sampleRows(), input.meanAbs(), members, inputFactors(unit));
  }

  /**
   * Returns how each input channel changes under scales {@code s}: {@code 1/s} behind a linear
   * layer, and behind a norm the folded multiplier over the original one, which includes the
   * rounding of the folded weight to its dtype.
   */
  private UnaryOperator<float[]> inputFactors(AwqUnit unit) {
    if (unit.previousKind() == Previous.LINEAR_ROWS) {
      return s -> {
        float[] factors = new float[s.length];
        for (int c = 0; c < s.length; c++) {
          factors[c] = 1f / s[c];
        }
        return factors;
      };
    }
    float[] weight = origin.read(unit.previous());
    TensorInfo info = origin.info(unit.previous());
    float[] original = AwqTransforms.normMultiplier(weight, unit.previousKind());
    return s -> {
      float[] folded = AwqTransforms.foldNorm(weight, s, unit.previousKind(), info.dtype());
      float[] applied = AwqTransforms.normMultiplier(folded, unit.previousKind());
      float[] factors = new float[s.length];
      for (int c = 0; c < s.length; c++) {
        // A zero multiplier zeroes the channel, so its factor does not matter.
        factors[c] = original[c] == 0f ? 0f : applied[c] / original[c];
      }
      return factors;
    };
  }
}
