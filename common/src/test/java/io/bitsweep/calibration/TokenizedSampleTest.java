package io.bitsweep.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenizedSampleTest {
  @Test
  void countsScoredAndTruncated() {
    TokenizedSample sample =
        new TokenizedSample("s", "code", new int[] {1, 5, 6}, new boolean[] {true, true, false}, 9);
    assertThat(sample.scoredCount()).isEqualTo(2);
    assertThat(sample.truncated()).isTrue();
    assertThat(sample.toString())
        .isEqualTo("TokenizedSample[s, code, 3 tokens, 2 scored, truncated from 9]");
  }

  @Test
  void rejectsInconsistentArrays() {
    assertThatThrownBy(() -> new TokenizedSample("s", "code", new int[2], new boolean[3], 2))
        .hasMessage("Sample s: scoreMask has 3 entries for 2 tokens; it needs one per token");
    assertThatThrownBy(
            () -> new TokenizedSample("s", "code", new int[2], new boolean[] {false, true}, 2))
        .hasMessage("Sample s: the last position has no next token, so it cannot be scored");
    assertThatThrownBy(() -> new TokenizedSample("s", "code", new int[2], new boolean[2], 1))
        .hasMessage("Sample s: originalLength 1 is less than the 2 tokens kept");
  }
}
