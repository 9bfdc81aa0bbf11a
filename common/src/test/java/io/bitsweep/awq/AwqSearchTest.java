package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.bitsweep.awq.AwqSearch.Member;
import io.bitsweep.awq.AwqSearch.Problem;
import io.bitsweep.awq.AwqUnit.Kind;
import io.bitsweep.awq.AwqUnit.Previous;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class AwqSearchTest {
  private static final int IN = 128;
  private static final int OUT = 96;
  private static final int ROWS = 64;

  private static final AwqUnit UNIT =
      new AwqUnit(
          Kind.MLP_DOWN, 0, "up", Previous.LINEAR_ROWS, List.of("down", "other"), List.of());

  private static final UnaryOperator<float[]> RECIPROCAL =
      s -> {
        float[] f = new float[s.length];
        for (int i = 0; i < s.length; i++) {
          f[i] = 1f / s[i];
        }
        return f;
      };

  /** Inputs whose first channels are 30 times larger than the rest, as in trained models. */
  private static float[] inputs(Random random, int outlierChannels) {
    float[] x = new float[ROWS * IN];
    for (int i = 0; i < x.length; i++) {
      double scale = i % IN < outlierChannels ? 30 : 1;
      x[i] = (float) (scale * random.nextGaussian());
    }
    return x;
  }

  private static float[] weights(Random random, int rows) {
    float[] w = new float[rows * IN];
    for (int i = 0; i < w.length; i++) {
      w[i] = Floats.roundToBf16((float) (0.05 * random.nextGaussian()));
    }
    return w;
  }

  private static float[] meanAbs(float[] x) {
    float[] mean = new float[IN];
    for (int i = 0; i < x.length; i++) {
      mean[i % IN] += Math.abs(x[i]) / ROWS;
    }
    return mean;
  }

  private static Problem problem(float[] x, float[] meanAbs, QuantSetting setting) {
    Random random = new Random(7);
    List<Member> members =
        List.of(
            new Member("down", weights(random, OUT), OUT, DType.BF16, setting),
            new Member("other", weights(random, 32), 32, DType.BF16, QuantSetting.BF16));
    return new Problem(UNIT, x, meanAbs, members, RECIPROCAL);
  }

  @Test
  void scalesFollowRatioAndNormalise() {
    float[] mean = {0.01f, 1f, 4f, 0f};
    float[] flat = AwqSearch.scales(mean, 0, 1e-4);
    assertThat(flat).containsExactly(1f, 1f, 1f, 1f);
    float[] half = AwqSearch.scales(mean, 0.5, 1e-4);
    // sqrt(mean) = [0.1, 1, 2, 0 -> 1e-4]; normalised by sqrt(2 · 1e-4).
    double norm = Math.sqrt(2 * 1e-4);
    assertThat(half[0]).isEqualTo((float) (0.1 / norm));
    assertThat(half[2]).isEqualTo((float) (2 / norm));
    assertThat(half[3]).isEqualTo((float) (1e-4 / norm));
  }

  @Test
  void outlierChannelsFavourScaling() {
    float[] x = inputs(new Random(1), 8);
    Problem problem = problem(x, meanAbs(x), QuantSetting.affine(3, 32));
    AwqResult result = new AwqSearch(AwqSearch.Options.DEFAULTS).search(problem);
    assertThat(result.scaled()).as("%s", result).isTrue();
    assertThat(result.ratio()).isGreaterThan(0);
    assertThat(result.scaledLoss()).isLessThan(result.plainLoss());
    assertThat(result.appliedLoss()).isEqualTo(result.scaledLoss());
    assertThat(result.sampleRows()).isEqualTo(ROWS);
  }

  @Test
  void flatActivationsKeepPlain() {
    float[] x = inputs(new Random(2), 0);
    float[] flat = new float[IN];
    Arrays.fill(flat, 0.8f);
    AwqResult result =
        new AwqSearch(AwqSearch.Options.DEFAULTS)
            .search(problem(x, flat, QuantSetting.affine(3, 32)));
    // Every ratio gives s = 1, which ties with plain quantization, and a tie keeps plain.
    assertThat(result.scaled()).isFalse();
    assertThat(result.scaledLoss()).isEqualTo(result.plainLoss());
    assertThat(result.scalesKey()).isEmpty();
  }

  @Test
  void searchIsDeterministic() {
    float[] x = inputs(new Random(3), 4);
    Problem problem = problem(x, meanAbs(x), QuantSetting.affine(2, 64));
    AwqResult first = new AwqSearch(new AwqSearch.Options(10, 1e-4)).search(problem);
    AwqResult second = new AwqSearch(new AwqSearch.Options(10, 1e-4)).search(problem);
    assertThat(second.scales()).containsExactly(first.scales());
    assertThat(second.plainLoss()).isEqualTo(first.plainLoss());
    assertThat(second.scaledLoss()).isEqualTo(first.scaledLoss());
  }

  @Test
  void lossMatchesDirectComputation() {
    float[] x = inputs(new Random(4), 8);
    QuantSetting setting = QuantSetting.affine(4, 64);
    Problem problem = problem(x, meanAbs(x), setting);
    float[] s = AwqSearch.scales(problem.meanAbs(), 0.5, 1e-4);

    double expected = 0;
    for (Member member : problem.members()) {
      float[] scaled = new float[member.weight().length];
      for (int i = 0; i < scaled.length; i++) {
        scaled[i] = Floats.roundToBf16(member.weight()[i] * s[i % IN]);
      }
      float[] stored =
          member.setting().isQuantized()
              ? AffineQuantizer.of(setting)
                  .fakeQuantize(scaled, new long[] {member.outFeatures(), IN}, DType.BF16)
              : scaled;
      for (int t = 0; t < ROWS; t++) {
        for (int j = 0; j < member.outFeatures(); j++) {
          double reference = 0;
          double quantized = 0;
          for (int i = 0; i < IN; i++) {
            double input = x[t * IN + i];
            reference += input * member.weight()[j * IN + i];
            quantized += input / s[i] * stored[j * IN + i];
          }
          expected += (reference - quantized) * (reference - quantized);
        }
      }
    }
    expected /= ROWS;

    assertThat(AwqSearch.loss(problem, s)).isCloseTo(expected, within(1e-4 * expected));
  }
}
