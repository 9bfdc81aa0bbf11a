package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Evaluates cells with the kernel directly, without Jupyter. */
class JShellKernelTest {
  private static JShellKernel kernel;

  @BeforeAll
  static void createKernel() {
    kernel = JShellKernel.create();
  }

  @AfterAll
  static void closeKernel() {
    kernel.close();
  }

  @Test
  void expressionCellReturnsValue() {
    assertThat(text(kernel.evalRaw("1 + 2"))).isEqualTo("3");
  }

  @Test
  void lastSnippetGivesCellValue() {
    Object value = kernel.evalRaw("int a = 20;\nint b = 22;\n\na + b");

    assertThat(text(value)).isEqualTo("42");
  }

  @Test
  void declarationCellHasNoValue() {
    assertThat(kernel.evalRaw("String greeting = \"hello\";")).isNull();
    assertThat(text(kernel.evalRaw("greeting"))).isEqualTo("\"hello\"");
  }

  @Test
  void cellSeesProjectClasses() {
    Object value = kernel.evalRaw("io.bitsweep.tensor.Floats.bf16ToFloat(0x3f80)");

    assertThat(text(value)).as("bf16 0x3f80 through the engine's Floats").isEqualTo("1.0");
  }

  @Test
  void printedLinesGoToSystemOut() {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      kernel.evalRaw("for (int i = 0; i < 3; i++) {\n  System.out.println(\"line \" + i);\n}");
    } finally {
      System.setOut(original);
    }

    assertThat(captured.toString(StandardCharsets.UTF_8)).isEqualTo("line 0\nline 1\nline 2\n");
  }

  @Test
  void compileErrorRaisesWithDiagnostics() {
    assertThatThrownBy(() -> kernel.evalRaw("int ok = 1;\nint x =\n  \"text\";"))
        .isInstanceOf(JShellKernel.CellException.class)
        .hasMessageContaining("Cannot compile:\nint x =\n  \"text\";")
        .hasMessageContaining(
            "line 3: incompatible types: java.lang.String cannot be converted to int");
  }

  @Test
  void thrownExceptionRaisesWithClassAndMessage() {
    assertThatThrownBy(() -> kernel.evalRaw("Integer.parseInt(\"x\")"))
        .isInstanceOf(JShellKernel.CellException.class)
        .hasMessageContaining("Exception in:\nInteger.parseInt(\"x\")")
        .hasMessageContaining("java.lang.NumberFormatException: For input string: \"x\"");
  }

  @Test
  void incompleteCellRaises() {
    assertThatThrownBy(() -> kernel.evalRaw("int y = 1;\nfor (int i = 0; i < 3; i++) {"))
        .isInstanceOf(JShellKernel.CellException.class)
        .hasMessageContaining("Cell ends with an incomplete snippet")
        .hasMessageContaining("at line 2:\nfor (int i = 0; i < 3; i++) {");
  }

  @Test
  void isCompleteClassifiesCode() {
    assertThat(kernel.isComplete("int a = 1;")).isEqualTo(BaseKernel.IS_COMPLETE_YES);
    assertThat(kernel.isComplete("for (int i = 0; i < 3; i++) {")).isEqualTo("    ");
  }

  @Test
  void completeSuggestsMembers() {
    String code = "Math.ab";

    assertThat(kernel.complete(code, code.length()).getReplacements()).contains("abs(");
  }

  private static String text(Object value) {
    assertThat(value).as("cell value").isInstanceOf(DisplayData.class);
    return (String) ((DisplayData) value).getData(MIMEType.TEXT_PLAIN);
  }
}
