package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.testing.Scripts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Checks the committed notebooks in {@code notebooks/} without running them: they are saved without
 * outputs, use the bitsweep kernel and start with a description. Runs without Jupyter.
 */
class NotebookFilesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void executedNotebooksAreAllNotebooks() throws IOException {
    assertThat(notebooks())
        .extracting(path -> path.getFileName().toString())
        .as("notebooks that SweepNotebooksTest executes")
        .containsExactlyInAnyOrder("compare.ipynb", "leaderboard.ipynb", "sensitivity.ipynb");
  }

  @Test
  void notebooksHaveNoOutputs() throws IOException {
    for (Path notebook : notebooks()) {
      for (JsonNode cell : JSON.readTree(notebook.toFile()).path("cells")) {
        if (cell.path("cell_type").asText().equals("code")) {
          String where = notebook.getFileName() + " cell " + cell.path("id").asText();
          assertThat(cell.path("outputs")).as("outputs of %s", where).isEmpty();
          assertThat(cell.path("execution_count").isNull())
              .as("execution_count of %s is null", where)
              .isTrue();
        }
      }
    }
  }

  @Test
  void notebooksUseKernelAndDescribeTables() throws IOException {
    for (Path notebook : notebooks()) {
      JsonNode root = JSON.readTree(notebook.toFile());
      String name = notebook.getFileName().toString();
      assertThat(root.path("metadata").path("kernelspec").path("name").asText())
          .as("kernel of %s", name)
          .isEqualTo("bitsweep-java");
      JsonNode first = root.path("cells").path(0);
      assertThat(first.path("cell_type").asText())
          .as("first cell of %s", name)
          .isEqualTo("markdown");
      StringBuilder text = new StringBuilder();
      first.path("source").forEach(line -> text.append(line.asText()));
      assertThat(text.toString())
          .as("first cell of %s", name)
          .contains("Reads the", "`leaderboard`");
    }
  }

  private static List<Path> notebooks() throws IOException {
    try (Stream<Path> files = Files.list(Scripts.repositoryRoot().resolve("notebooks"))) {
      return files.filter(path -> path.toString().endsWith(".ipynb")).sorted().toList();
    }
  }
}
