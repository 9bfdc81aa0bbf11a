package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fp32 forward pass against float64 reference logits of the trained tiny Qwen3.5 model. */
class GoldenLogitsTest {
  private static LanguageModel model;
  private static Path golden;

  @BeforeAll
  static void open() {
    Path folder = SharedModels.require(SharedModels.QWEN35_TINY);
    golden = folder.resolve("golden");
    model = LanguageModel.open(folder);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"story", "chat", "code"})
  void logitsMatchGolden(String name) throws IOException {
    GoldenLogits expected = GoldenLogits.read(golden, name);
    int vocab = expected.vocab();

    float[] actual = model.logits(expected.ids());

    GoldenLogits.Deviation deviation = expected.compare(actual);
    System.out.println(deviation.summary());
    assertThat(deviation.worstExcess()).as(deviation.summary()).isLessThanOrEqualTo(0);

    int[] argmax = expected.argmax();
    for (int row = 0; row < argmax.length; row++) {
      float[] logits = Arrays.copyOfRange(actual, row * vocab, (row + 1) * vocab);
      assertThat(LanguageModel.argmax(logits))
          .as("%s: argmax of row %d (%s)", name, row, deviation.summary())
          .isEqualTo(argmax[row]);
    }
  }
}
