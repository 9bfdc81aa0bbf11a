package io.bitsweep.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fp32 forward pass against float64 reference logits of the trained tiny Qwen3.5 model. */
class GoldenLogitsTest {
  /** Absolute part of the bound |java − golden| <= ABSOLUTE + RELATIVE·|golden|. */
  private static final double ABSOLUTE_TOLERANCE = 1e-3;

  /** Relative part of the same bound. */
  private static final double RELATIVE_TOLERANCE = 1e-4;

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
    JsonNode meta = new ObjectMapper().readTree(golden.resolve(name + ".json").toFile());
    int[] ids = ints(meta.get("ids"));
    int vocab = meta.get("shape").get(1).asInt();
    float[] expected = readFloats(golden.resolve(name + ".logits.bin"));
    assertThat(expected).hasSize(ids.length * vocab);

    float[] actual = model.logits(ids);

    double maxDiff = 0;
    double worstExcess = Double.NEGATIVE_INFINITY;
    int worstIndex = 0;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs(actual[i] - expected[i]);
      maxDiff = Math.max(maxDiff, diff);
      double excess = diff - (ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.abs(expected[i]));
      if (excess > worstExcess) {
        worstExcess = excess;
        worstIndex = i;
      }
    }
    String summary =
        String.format(
            Locale.ROOT,
            "%s: max |diff| %.3e; worst element row %d token %d java %.6f golden %.6f",
            name,
            maxDiff,
            worstIndex / vocab,
            worstIndex % vocab,
            actual[worstIndex],
            expected[worstIndex]);
    System.out.println(summary);
    assertThat(worstExcess).as(summary).isLessThanOrEqualTo(0);

    JsonNode argmax = meta.get("argmax");
    for (int row = 0; row < ids.length; row++) {
      float[] logits = java.util.Arrays.copyOfRange(actual, row * vocab, (row + 1) * vocab);
      assertThat(LanguageModel.argmax(logits))
          .as("%s: argmax of row %d (%s)", name, row, summary)
          .isEqualTo(argmax.get(row).asInt());
    }
  }

  static int[] ints(JsonNode array) {
    int[] values = new int[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asInt();
    }
    return values;
  }

  private static float[] readFloats(Path file) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }
}
