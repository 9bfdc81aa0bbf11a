package io.bitsweep;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CountsTest {
  @Test
  void oneIsSingular() {
    assertThat(Counts.of(1, "wave")).isEqualTo("1 wave");
  }

  @Test
  void otherCountsArePlural() {
    assertThat(Counts.of(0, "shard")).isEqualTo("0 shards");
    assertThat(Counts.of(121, "configuration")).isEqualTo("121 configurations");
  }
}
