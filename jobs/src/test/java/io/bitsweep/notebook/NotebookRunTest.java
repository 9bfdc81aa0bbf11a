package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.testing.Scripts;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes notebooks on the bitsweep Java kernel through {@code scripts/notebooks run}, the way
 * users and CI do. Skipped where Jupyter's nbconvert is not installed.
 */
class NotebookRunTest {
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void requireNbconvert() {
    Assumptions.assumeTrue(
        onPath("jupyter-nbconvert"),
        "jupyter-nbconvert is not installed, so notebooks cannot run here; install it with"
            + " apt-get install --no-install-recommends jupyter-notebook jupyter-nbconvert"
            + " python3-ipykernel jupyter-client");
  }

  @Test
  void smokeNotebookRuns(@TempDir Path output) throws IOException {
    Path notebook =
        Scripts.repositoryRoot()
            .resolve("jobs/src/test/resources/notebooks/spark-parquet-smoke.ipynb");

    Scripts.Result result = runNotebook(notebook, output);

    assertThat(result.exitCode()).as("scripts/notebooks run output:%n%s", result.output()).isZero();
    List<String> outputs = cellOutputs(output.resolve(notebook.getFileName()));
    assertThat(outputs).as("outputs of the executed notebook").contains("\"4.2.0\"", "1000");
    assertThat(String.join("", outputs)).contains("|bucket|count|", "|     3|  250|");
  }

  @Test
  void brokenCellFailsRun(@TempDir Path dir) throws IOException {
    Path notebook = dir.resolve("broken.ipynb");
    Files.writeString(notebook, notebookWithCell("int ok = 1;\\nint x =\\n  \\\"text\\\";"));

    Scripts.Result result = runNotebook(notebook, dir.resolve("out"));

    assertThat(result.exitCode()).as("exit status of scripts/notebooks run").isEqualTo(1);
    assertThat(result.output())
        .contains("CellExecutionError")
        .contains("line 3: incompatible types: java.lang.String cannot be converted to int")
        .contains("1 of 1 notebook(s) failed: " + notebook);
  }

  private static Scripts.Result runNotebook(Path notebook, Path outputDir) {
    return Scripts.run(
        TIMEOUT,
        "notebooks",
        List.of("run", "--no-build", "--output-dir", outputDir.toString(), notebook.toString()));
  }

  /** Text of every output of every code cell: stream text and text/plain results. */
  private static List<String> cellOutputs(Path executed) throws IOException {
    List<String> texts = new ArrayList<>();
    for (JsonNode cell : JSON.readTree(executed.toFile()).path("cells")) {
      for (JsonNode output : cell.path("outputs")) {
        JsonNode text =
            output.has("text") ? output.get("text") : output.path("data").path("text/plain");
        texts.add(joinLines(text));
      }
    }
    return texts;
  }

  private static String joinLines(JsonNode text) {
    if (!text.isArray()) {
      return text.asText();
    }
    StringBuilder joined = new StringBuilder();
    text.forEach(line -> joined.append(line.asText()));
    return joined.toString();
  }

  private static String notebookWithCell(String escapedSource) {
    return """
    {"cells": [{"cell_type": "code", "id": "c0", "execution_count": null, "metadata": {},
                "outputs": [], "source": "%s"}],
     "metadata": {"kernelspec": {"name": "bitsweep-java", "language": "java",
                                 "display_name": "Java (bitsweep)"}},
     "nbformat": 4, "nbformat_minor": 5}
    """
        .formatted(escapedSource);
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
  }
}
