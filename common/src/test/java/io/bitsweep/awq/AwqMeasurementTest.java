package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.FakeQuantWeights;
import io.bitsweep.quant.QuantPlan;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Measures what AWQ gains on the tiny Qwen3.5 model. The scales are searched on statistics of the
 * default calibration mix; the measurement uses the three golden sequences, which the search never
 * saw. It compares plain quantization with AWQ on two numbers. The first is the output error of
 * every corrected projection on the inputs recorded from the golden sequences, summed per unit
 * kind. The second is the mean KLD of the final logits on those sequences against the unquantized
 * model. The errors are
 * recomputed here from the weights the evaluation reads, in double, and in the original output
 * space (undoing the division of {@code up_proj} rows), not taken from the search. Prints one table
 * per setting; docs/awq.md quotes them.
 */
class AwqMeasurementTest {
  private static final FakeQuantCache CACHE = new FakeQuantCache(1 << 27);

  /** Agreement, in percent, between the errors recomputed here in double and the search's. */
  private static final double SEARCH_AGREEMENT_PERCENT = 0.01;

  private static String configuration(String setting, boolean awq) {
    String group = "\"" + setting + (awq ? "+awq" : "") + "\"";
    return String.format(
        Locale.ROOT,
        "{\"default\": \"%s\", \"groups\": {\"embed\": \"bf16\", \"lm_head\": \"bf16\","
            + " \"attn_qkv\": %s, \"gdn_in\": %s, \"mlp_up\": %s, \"mlp_down\": %s}}",
        setting,
        group,
        group,
        group,
        group);
  }

  @ParameterizedTest
  @ValueSource(strings = {"3/64", "2/64", "3/32", "2/32"})
  void awqLowersCorrectedProjectionError(String setting) {
    ModelConfig config = TinyModel.model().config();
    WeightSource origin = TinyModel.model().weights();
    QuantPlan plainPlan = TinyModel.plan(configuration(setting, false));
    QuantPlan awqPlan = TinyModel.plan(configuration(setting, true));
    ActivationStats searched = TinyModel.calibrationStats();
    ActivationStats heldOut = TinyModel.stats();
    AwqWeights awq = new AwqWeights(config, origin, awqPlan, searched, new AwqScaleCache());
    WeightSource plain = new FakeQuantWeights(origin, plainPlan, CACHE);
    WeightSource scaled = new FakeQuantWeights(awq, awqPlan, CACHE);

    Map<AwqUnit.Kind, double[]> totals = new EnumMap<>(AwqUnit.Kind.class);
    for (AwqUnit unit : awq.activeUnits()) {
      AwqResult result = awq.result(unit);
      if (unit.kind() != AwqUnit.Kind.MLP_INPUT) {
        // The search measured the same errors in float on its own samples. MLP_INPUT differs
        // because this test undoes the division of up_proj's rows.
        assertThat(unitError(unit, plain, null, searched))
            .as("plain error of %s against the search", unit.label())
            .isCloseTo(result.plainLoss(), withinPercentage(SEARCH_AGREEMENT_PERCENT));
        assertThat(unitError(unit, scaled, awq, searched))
            .as("AWQ error of %s against the search", unit.label())
            .isCloseTo(result.appliedLoss(), withinPercentage(SEARCH_AGREEMENT_PERCENT));
      }
      double plainError = unitError(unit, plain, null, heldOut);
      double awqError = unitError(unit, scaled, awq, heldOut);
      double[] total = totals.computeIfAbsent(unit.kind(), k -> new double[4]);
      total[0] += plainError;
      total[1] += awqError;
      total[2] += result.scaled() ? 1 : 0;
      total[3] += 1;
    }

    double plainKld = meanKld(plain);
    double awqKld = meanKld(scaled);
    System.out.println(report(setting, totals, plainKld, awqKld));
    for (Map.Entry<AwqUnit.Kind, double[]> entry : totals.entrySet()) {
      double[] total = entry.getValue();
      assertThat(total[1])
          .as("%s held-out error of %s units with AWQ against plain", setting, entry.getKey())
          .isLessThan(total[0]);
    }
  }

  /**
   * Returns {@code Σ_readers ||X·Wᵀ − (X ∘ f)·Ŵᵀ||² / rows} on the inputs X sampled in {@code
   * inputs}, with Ŵ as
   * {@code weights} returns it. With {@code awq} (null for plain weights), f is the change of the
   * unit's input under its scales, and output rows of {@code up_proj} are multiplied back by the
   * scales of the layer's down unit.
   */
  private static double unitError(
      AwqUnit unit, WeightSource weights, AwqWeights awq, ActivationStats inputs) {
    WeightSource origin = TinyModel.model().weights();
    ActivationStats.TensorStats input = inputs.get(unit.inputTensor());
    int in = input.columns();
    int rows = input.sampleRowCount();
    double[] factors = awq == null ? ones(in) : inputFactors(unit, awq);
    double total = 0;
    for (String reader : unit.readers()) {
      float[] reference = origin.read(reader);
      float[] quantized = weights.read(reader);
      int out = reference.length / in;
      double[] outputScale = awq == null ? ones(out) : outputScale(reader, awq, out);
      for (int t = 0; t < rows; t++) {
        for (int j = 0; j < out; j++) {
          double expected = 0;
          double actual = 0;
          for (int i = 0; i < in; i++) {
            double x = input.sampleRows()[t * in + i];
            expected += x * reference[j * in + i];
            actual += x * factors[i] * quantized[j * in + i];
          }
          double difference = expected - actual * outputScale[j];
          total += difference * difference;
        }
      }
    }
    return total / rows;
  }

  private static double[] ones(int size) {
    double[] values = new double[size];
    Arrays.fill(values, 1);
    return values;
  }

  /** Returns 1/s behind up_proj, or the folded over the original norm multiplier. */
  private static double[] inputFactors(AwqUnit unit, AwqWeights awq) {
    AwqResult result = awq.result(unit);
    int in = TinyModel.stats().get(unit.inputTensor()).columns();
    double[] factors = ones(in);
    if (!result.scaled()) {
      return factors;
    }
    if (unit.previousKind() == AwqUnit.Previous.LINEAR_ROWS) {
      for (int c = 0; c < in; c++) {
        factors[c] = 1.0 / result.scales()[c];
      }
      return factors;
    }
    float[] original = TinyModel.model().weights().read(unit.previous());
    float[] folded = awq.read(unit.previous());
    for (int c = 0; c < in; c++) {
      factors[c] = (1.0 + folded[c]) / (1.0 + original[c]);
    }
    return factors;
  }

  /** Returns s of the layer's down unit for {@code up_proj} when that unit is scaled, else ones. */
  private static double[] outputScale(String reader, AwqWeights awq, int out) {
    double[] scale = ones(out);
    for (AwqUnit unit : awq.activeUnits()) {
      if (unit.previous().equals(reader) && awq.result(unit).scaled()) {
        float[] s = awq.result(unit).scales();
        for (int j = 0; j < out; j++) {
          scale[j] = s[j];
        }
      }
    }
    return scale;
  }

  /** Returns the mean KLD per position of the golden sequences against the unquantized model. */
  private static double meanKld(WeightSource weights) {
    ForwardPass pass = TinyModel.model().forwardPass();
    int vocab = TinyModel.model().config().vocabSize();
    double sum = 0;
    int positions = 0;
    for (int[] sequence : TinyModel.sequences()) {
      float[] reference = pass.logits(sequence, TinyModel.model().weights());
      float[] quantized = pass.logits(sequence, weights);
      for (int p = 0; p < sequence.length; p++) {
        sum += kld(reference, quantized, p * vocab, vocab);
        positions++;
      }
    }
    return sum / positions;
  }

  private static double kld(float[] p, float[] q, int offset, int vocab) {
    double pMax = Double.NEGATIVE_INFINITY;
    double qMax = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      pMax = Math.max(pMax, p[offset + i]);
      qMax = Math.max(qMax, q[offset + i]);
    }
    double pSum = 0;
    double qSum = 0;
    for (int i = 0; i < vocab; i++) {
      pSum += Math.exp(p[offset + i] - pMax);
      qSum += Math.exp(q[offset + i] - qMax);
    }
    double kld = 0;
    for (int i = 0; i < vocab; i++) {
      double logP = p[offset + i] - pMax - Math.log(pSum);
      double logQ = q[offset + i] - qMax - Math.log(qSum);
      kld += Math.exp(logP) * (logP - logQ);
    }
    return kld;
  }

  private static String report(
      String setting, Map<AwqUnit.Kind, double[]> totals, double plainKld, double awqKld) {
    StringBuilder text = new StringBuilder();
    text.append(
        String.format(
            Locale.ROOT,
            "AWQ on qwen35-tiny-stories at %s, searched on %d calibration-mix tokens, measured on"
                + " the %d tokens of the golden sequences%n",
            setting,
            TinyModel.calibrationTokenCount(),
            TinyModel.tokenCount()));
    text.append(
        String.format(
            Locale.ROOT,
            "  %-16s %6s %14s %14s %9s%n",
            "unit",
            "scaled",
            "plain error",
            "AWQ error",
            "change"));
    for (Map.Entry<AwqUnit.Kind, double[]> entry : totals.entrySet()) {
      double[] t = entry.getValue();
      text.append(
          String.format(
              Locale.ROOT,
              "  %-16s %3d/%-2d %14.6g %14.6g %8.1f%%%n",
              entry.getKey().name().toLowerCase(Locale.ROOT),
              (int) t[2],
              (int) t[3],
              t[0],
              t[1],
              100 * (t[1] / t[0] - 1)));
    }
    text.append(
        String.format(
            Locale.ROOT,
            "  mean KLD of the logits: plain %.6f, AWQ %.6f (%+.1f%%)",
            plainKld,
            awqKld,
            100 * (awqKld / plainKld - 1)));
    return text.toString();
  }
}
