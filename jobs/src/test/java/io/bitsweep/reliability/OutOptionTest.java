package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.jobs.OutputLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local {@code --out} that is a file, or a missing one given to a step that reads earlier
 * tables, fails before Spark starts with one line, and nothing is created at that path. So does
 * a folder that another command is writing.
 */
class OutOptionTest {
  @TempDir Path tmp;

  @Test
  void fileRejectedAsOutputFolder() throws IOException {
    Path file = Files.writeString(tmp.resolve("notes.txt"), "not a folder\n");

    Cli.Result result =
        Cli.run(
            "calibrate",
            "--out", file.toString(),
            "--model", TinyModelCopy.source().toString(),
            "--master", "local[1]");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep calibrate: Invalid --out " + file + ": it is a file, expected the folder of"
                + " the tables; choose another path\n");
    assertThat(file).as("the file given as --out").hasContent("not a folder");
  }

  @Test
  void folderUnderFileNamesTheFile() throws IOException {
    Path file = Files.writeString(tmp.resolve("notes.txt"), "not a folder\n");
    Path out = file.resolve("run");

    Cli.Result result =
        Cli.run(
            "calibrate",
            "--out", out.toString(),
            "--model", TinyModelCopy.source().toString(),
            "--master", "local[1]");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep calibrate: Cannot create output folder " + out + ": " + file + ": already"
                + " exists as a file; remove it or choose another path\n");
    assertThat(file).as("the file in the path of --out").hasContent("not a folder\n");
  }

  @Test
  void missingFolderRejectedByReadingSteps() {
    Path missing = tmp.resolve("runs").resolve("typo");

    for (String step : new String[] {"leaderboard", "select", "rank"}) {
      Cli.Result spaced = Cli.run(step, "--out", missing.toString(), "--master", "local[1]");
      Cli.Result joined = Cli.run(step, "--out=" + missing, "--master", "local[1]");

      for (Cli.Result result : new Cli.Result[] {spaced, joined}) {
        assertThat(result.status()).as("exit status of %s", step).isEqualTo(1);
        assertThat(result.stderr())
            .isEqualTo(
                "bitsweep " + step + ": Cannot read the tables in " + missing + ": no such folder;"
                    + " pass the --out of an earlier `bitsweep calibrate` or `bitsweep run`\n");
      }
      assertThat(tmp.resolve("runs")).as("parent of --out after %s", step).doesNotExist();
    }
  }

  @Test
  void folderInUseRejectedBeforeSpark() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("run"));

    Cli.Result result;
    try (OutputLock running = OutputLock.acquire(out.toString(), "bitsweep sweep")) {
      result = Cli.run("rank", "--out", out.toString(), "--master", "local[1]");
    }

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep rank: Cannot write to "
                + out
                + ": another bitsweep command is using this folder (a command of this process);"
                + " wait for it to finish, or pass another --out\n");
  }
}
