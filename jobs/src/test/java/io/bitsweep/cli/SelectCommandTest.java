package io.bitsweep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.jobs.Selection;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The selection that {@code bitsweep select} derives from its options, parsed as picocli does. */
class SelectCommandTest {
  private static Selection selectionOf(String... options) {
    SelectCommand command = new SelectCommand();
    new CommandLine(command).parseArgs(options);
    return command.selection();
  }

  @Test
  void noOptionsUseRunDefaultBudget() {
    Selection selection = selectionOf("--out", "runs/x");

    assertThat(selection.maxBpw()).as("max bits per weight").isEqualTo(Selection.DEFAULT_MAX_BPW);
    assertThat(selection.maxBytes()).as("max bytes").isZero();
    assertThat(selection.rank()).as("rank").isZero();
  }

  @Test
  void rankReplacesDefaultBudget() {
    Selection selection = selectionOf("--out", "runs/x", "--rank", "3");

    assertThat(selection.rank()).as("rank").isEqualTo(3);
    assertThat(selection.maxBpw()).as("max bits per weight").isZero();
  }

  @Test
  void maxBytesReplacesDefaultBudget() {
    Selection selection = selectionOf("--out", "runs/x", "--max-bytes", "900000");

    assertThat(selection.maxBytes()).as("max bytes").isEqualTo(900000);
    assertThat(selection.maxBpw()).as("max bits per weight").isZero();
  }

  @Test
  void explicitBudgetsAreKept() {
    assertThat(selectionOf("--out", "runs/x", "--max-bpw", "5").maxBpw()).isEqualTo(5.0);
    assertThat(selectionOf("--out", "runs/x", "--max-bpw", "0").maxBpw())
        .as("0 means no limit")
        .isZero();
  }
}
