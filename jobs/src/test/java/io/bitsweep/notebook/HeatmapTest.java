package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeatmapTest {
  private static final double EXACT = 1e-12;

  @Test
  void logScaleSpansPositiveValues() {
    Heatmap.LogScale scale = Heatmap.LogScale.of(new double[][] {{0.001, Double.NaN}, {0.1, 0}});

    assertThat(scale.min()).as("smallest positive value").isEqualTo(0.001);
    assertThat(scale.max()).isEqualTo(0.1);
    assertThat(scale.position(0.001)).isCloseTo(0, within(EXACT));
    assertThat(scale.position(0.01)).as("geometric middle").isCloseTo(0.5, within(EXACT));
    assertThat(scale.position(0.1)).isCloseTo(1, within(EXACT));
    assertThat(scale.position(0)).as("zero takes the lightest color").isZero();
  }

  @Test
  void colorRunsFromLightToDark() {
    assertThat(Heatmap.color(0)).isEqualTo(new Color(255, 247, 236));
    assertThat(Heatmap.color(0.5)).isEqualTo(new Color(252, 141, 89));
    assertThat(Heatmap.color(1)).isEqualTo(new Color(127, 0, 0));
    assertThat(Heatmap.color(7)).as("clamped above 1").isEqualTo(new Color(127, 0, 0));
  }

  @Test
  void renderPaintsCellColors() {
    double[][] values = {{0.001, 0.1}, {Double.NaN, 0.01}};

    BufferedImage image =
        Heatmap.render(
            "mean KLD", List.of("embed", "mlp_down"), List.of("8/64", "2/64"), values, "%.4f");

    Set<Integer> colors = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        colors.add(image.getRGB(x, y) & 0xffffff);
      }
    }
    assertThat(colors)
        .as("smallest value, largest value, geometric middle and missing cell colors")
        .contains(
            new Color(255, 247, 236).getRGB() & 0xffffff,
            new Color(127, 0, 0).getRGB() & 0xffffff,
            new Color(252, 141, 89).getRGB() & 0xffffff,
            new Color(225, 225, 225).getRGB() & 0xffffff);
    assertThat(image.getWidth()).as("two 96-pixel columns and labels").isGreaterThan(2 * 96);
    assertThat(image.getHeight()).as("two 30-pixel rows, header and legend").isGreaterThan(4 * 30);
  }

  @Test
  void mismatchedRowRaises() {
    double[][] values = {{0.1, 0.2}, {0.3}};

    assertThatThrownBy(
            () ->
                Heatmap.render(
                    "t", List.of("embed", "mlp_up"), List.of("8/64", "2/64"), values, "%.4f"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Heatmap row 1 (mlp_up) has 1 values but there are 2 column labels");
  }

  @Test
  void mismatchedRowCountRaises() {
    double[][] values = {{0.1}};

    assertThatThrownBy(
            () -> Heatmap.render("t", List.of("embed", "mlp_up"), List.of("8/64"), values, "%.4f"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Heatmap values have 1 rows but there are 2 row labels");
  }
}
