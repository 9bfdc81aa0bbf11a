package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFolderTest {
  @TempDir Path tmp;

  @Test
  void variableWinsOverDefault() throws IOException {
    Path run = Files.createDirectory(tmp.resolve("run"));
    Files.createDirectory(tmp.resolve("out"));

    String location = OutputFolder.resolve(Map.of("BITSWEEP_OUT", run + " "), tmp.toString());

    assertThat(location).isEqualTo(run.toString());
  }

  @Test
  void defaultIsOutInRepository() throws IOException {
    Path out = Files.createDirectory(tmp.resolve("out"));

    assertThat(OutputFolder.resolve(Map.of(), tmp.toString())).isEqualTo(out.toString());
    assertThat(OutputFolder.resolve(Map.of("BITSWEEP_OUT", " "), tmp.toString()))
        .as("a blank variable counts as unset")
        .isEqualTo(out.toString());
  }

  @Test
  void relativeVariableBecomesAbsolute() {
    Path workingDirectory = Path.of("").toAbsolutePath();

    String location = OutputFolder.resolve(Map.of("BITSWEEP_OUT", "target/../target"), null);

    assertThat(location).isEqualTo(workingDirectory.resolve("target").toString());
  }

  @Test
  void missingVariableFolderRaises() {
    Path missing = tmp.resolve("no-such-run");

    assertThatThrownBy(() -> OutputFolder.resolve(Map.of("BITSWEEP_OUT", missing.toString()), null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Output folder " + missing + " is not a directory")
        .hasMessageContaining("(BITSWEEP_OUT names it)")
        .hasMessageContaining("BITSWEEP_OUT=/path/to/out jupyter notebook notebooks/");
  }

  @Test
  void missingDefaultFolderRaises() {
    assertThatThrownBy(() -> OutputFolder.resolve(Map.of(), tmp.toString()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Output folder " + tmp.resolve("out") + " is not a directory")
        .hasMessageContaining("BITSWEEP_OUT is not set, so the default was used");
  }

  @Test
  void hadoopUriPassesUnchecked() {
    String location =
        OutputFolder.resolve(Map.of("BITSWEEP_OUT", "s3a://bucket/run"), tmp.toString());

    assertThat(location).isEqualTo("s3a://bucket/run");
  }
}
