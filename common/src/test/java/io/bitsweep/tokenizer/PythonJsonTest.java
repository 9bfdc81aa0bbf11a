package io.bitsweep.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected strings are Python 3 outputs of {@code repr(float)} and {@code json.dumps}. */
class PythonJsonTest {
  @Test
  void floatReprMatchesPython() {
    double[] values = {
      0.1,
      1e-05,
      0.0001,
      1e16,
      1e15,
      123456789012345678.0,
      1.5,
      -2.5e-7,
      3.0,
      Double.MIN_VALUE,
      Double.MAX_VALUE,
      100.0,
      0.30000000000000004
    };
    String[] python = {
      "0.1",
      "1e-05",
      "0.0001",
      "1e+16",
      "1000000000000000.0",
      "1.2345678901234568e+17",
      "1.5",
      "-2.5e-07",
      "3.0",
      "5e-324",
      "1.7976931348623157e+308",
      "100.0",
      "0.30000000000000004"
    };
    for (int i = 0; i < values.length; i++) {
      assertThat(PythonJson.floatRepr(values[i])).as("repr(%s)", values[i]).isEqualTo(python[i]);
    }
    assertThat(PythonJson.floatRepr(-0.0)).isEqualTo("-0.0");
    assertThat(PythonJson.floatRepr(Double.NaN)).isEqualTo("NaN");
  }

  @Test
  void dumpsNestedValuesWithIndent() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("b", List.of(1, new BigInteger("12345678901234567890"), true));
    value.put("a", null);
    value.put("e", Map.of());
    PythonJson.Options indented = new PythonJson.Options("  ", ",", ": ", false, false);
    // json.dumps({"b": [1, 12345678901234567890, True], "a": None, "e": {}}, indent=2)
    assertThat(PythonJson.dumps(value, indented))
        .isEqualTo(
            "{\n  \"b\": [\n    1,\n    12345678901234567890,\n    true\n  ],\n  \"a\": null,\n"
                + "  \"e\": {}\n}");
    assertThat(PythonJson.dumps(value, PythonJson.Options.DEFAULT))
        .isEqualTo("{\"b\": [1, 12345678901234567890, true], \"a\": null, \"e\": {}}");
  }

  @Test
  void dumpsNonStringKeysAsPython() {
    Map<Object, Object> value = new LinkedHashMap<>();
    value.put(1, "x");
    value.put(true, Arrays.asList(2.5, null));
    assertThat(PythonJson.dumps(value, PythonJson.Options.DEFAULT))
        .isEqualTo("{\"1\": \"x\", \"true\": [2.5, null]}");
  }

  @Test
  void rejectsObjectsJsonCannotHold() {
    assertThatThrownBy(() -> PythonJson.dumps(List.of(new Object()), PythonJson.Options.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Object of type java.lang.Object is not JSON serializable");
  }
}
