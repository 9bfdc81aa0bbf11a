package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.awq.ActivationStats.TensorStats;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivationStatsTest {
  private static TensorStats stats(String name, float mean, long tokens, int rows, float rowBase) {
    float[] sample = new float[rows * 2];
    for (int r = 0; r < rows; r++) {
      sample[2 * r] = rowBase + r;
      sample[2 * r + 1] = -(rowBase + r);
    }
    return new TensorStats(
        name, new float[] {mean, 2 * mean}, new float[] {mean * mean, 4 * mean}, tokens, sample);
  }

  @Test
  void rowsRoundTrip() {
    ActivationStats stats =
        ActivationStats.fromRows(List.of(stats("b", 1, 10, 2, 0), stats("a", 2, 5, 1, 7)));
    assertThat(stats.tensorNames()).containsExactly("a", "b");
    ActivationStats copy = ActivationStats.fromRows(stats.toRows());
    assertThat(copy).isEqualTo(stats);
    assertThat(copy.fingerprint()).isEqualTo(stats.fingerprint());
    assertThat(stats.get("a").sampleRows()).containsExactly(7, -7);
  }

  @Test
  void fingerprintChangesWithContents() {
    ActivationStats one = ActivationStats.fromRows(List.of(stats("a", 1, 10, 2, 0)));
    ActivationStats other = ActivationStats.fromRows(List.of(stats("a", 1, 10, 2, 1)));
    assertThat(other.fingerprint()).isNotEqualTo(one.fingerprint()).hasSize(16);
  }

  @Test
  void mergeWeighsByTokenCount() {
    ActivationStats left = ActivationStats.fromRows(List.of(stats("a", 1, 30, 6, 1)));
    ActivationStats right =
        ActivationStats.fromRows(List.of(stats("a", 5, 10, 4, 100), stats("b", 3, 4, 2, 0)));
    ActivationStats merged = left.merge(right, 4);

    TensorStats a = merged.get("a");
    assertThat(a.tokenCount()).isEqualTo(40);
    assertThat(a.meanAbs()).containsExactly(2f, 4f);
    assertThat(a.meanSquare()).containsExactly(0.75f * 1 + 0.25f * 25, 0.75f * 4 + 0.25f * 20);
    // 3 of 4 rows from the left (30 of 40 tokens), evenly spaced among its 6, then 1 from the
    // right.
    assertThat(a.sampleRows()).containsExactly(1, -1, 3, -3, 5, -5, 100, -100);
    assertThat(merged.get("b")).isEqualTo(right.get("b"));
    assertThat(left.merge(right, 4)).isEqualTo(merged);
  }

  @Test
  void mergeTopsUpFromTheLargerSample() {
    ActivationStats left = ActivationStats.fromRows(List.of(stats("a", 1, 90, 1, 0)));
    ActivationStats right = ActivationStats.fromRows(List.of(stats("a", 1, 10, 5, 10)));
    assertThat(left.merge(right, 4).get("a").sampleRowCount()).isEqualTo(4);
  }

  @Test
  void mergeRejectsOtherWidths() {
    ActivationStats left = ActivationStats.fromRows(List.of(stats("a", 1, 10, 1, 0)));
    ActivationStats right =
        ActivationStats.fromRows(
            List.of(new TensorStats("a", new float[3], new float[3], 4, new float[0])));
    assertThatThrownBy(() -> left.merge(right, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot merge activation statistics of a: 2 input channels on one side and 3 on the"
                + " other; both must come from the same model");
  }

  @Test
  void missingTensorNamesTheFix() {
    assertThatThrownBy(() -> ActivationStats.EMPTY.get("layers.0.mlp.down_proj.weight"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "No activation statistics for layers.0.mlp.down_proj.weight (the statistics cover 0"
                + " tensors); rerun `bitsweep reference` on this model, which records activation"
                + " statistics");
  }

  @Test
  void invalidRowsAreRejected() {
    assertThatThrownBy(
            () -> ActivationStats.fromRows(List.of(stats("a", 1, 2, 1, 0), stats("a", 1, 2, 1, 0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot build activation statistics: tensor a appears twice; keep one row per tensor");
    assertThatThrownBy(() -> new TensorStats("a", new float[2], new float[2], 1, new float[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "TensorStats of a: sample_rows must hold whole rows of 2 values and at most"
                + " token_count (1) rows, found 3 values");
    assertThatThrownBy(() -> new TensorStats("a", new float[2], new float[1], 1, new float[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "TensorStats of a: expected mean_abs and mean_sq of equal, nonzero length, found 2"
                + " and 1");
    assertThatThrownBy(() -> new TensorStats("a", new float[2], new float[2], 0, new float[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TensorStats of a: token_count must be positive, found 0");
  }
}
