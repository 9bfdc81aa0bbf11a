package io.bitsweep.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.jobs.LeaderboardTable;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.Selection;
import io.bitsweep.jobs.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "select",
    mixinStandardHelpOptions = true,
    description = "Choose a configuration from the leaderboard and write its JSON.")
final class SelectCommand extends SparkCommand {
  @Option(names = "--max-bytes", defaultValue = "0", description = "Largest MLX model size in bytes.")
  long maxBytes;

  @Option(
      names = "--max-bpw",
      description =
          "Largest bits per weight; 0 for no limit (default: "
              + Selection.DEFAULT_MAX_BPW
              + ", as for run, unless --max-bytes or --rank is given).")
  Double maxBpw;

  @Option(names = "--rank", defaultValue = "0", description = "Take this rank instead of a budget.")
  int rank;

  @Option(names = "--explain", description = "Print why: the budget and the Pareto-front neighbours.")
  boolean explain;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "Where to write the configuration JSON (default: <out>/selected.json).")
  Path output;

  /** The chosen configuration's JSON, for callers that chain steps. */
  String selectedJson;

  @Override
  String step() {
    return "select";
  }

  /**
   * Returns the selection that the options request. Without --max-bpw, --max-bytes or --rank it
   * applies the default budget of {@code run}, so a bare {@code select} does not pick rank 1, which
   * is the unquantized bf16 configuration whenever the spec includes it.
   */
  Selection selection() {
    if (maxBpw != null) {
      return new Selection(maxBytes, maxBpw, rank);
    }
    boolean defaultBudget = maxBytes == 0 && rank == 0;
    return new Selection(maxBytes, defaultBudget ? Selection.DEFAULT_MAX_BPW : 0, rank);
  }

  @Override
  void run(TableStore store) throws Exception {
    Selection selection = selection();
    List<LeaderboardTable.Entry> leaderboard = LeaderboardTable.read(store);
    LeaderboardTable.Entry chosen = selection.choose(leaderboard);
    ObjectMapper json = new ObjectMapper();
    selectedJson = json.writerWithDefaultPrettyPrinter().writeValueAsString(json.readTree(chosen.configJson()));
    if (output != null) {
      Files.createDirectories(output.toAbsolutePath().getParent());
      Files.writeString(output, selectedJson + "\n");
    } else {
      io.bitsweep.jobs.Artifacts.writeText(store, "selected.json", selectedJson + "\n");
    }
    Progress.LOG.info(
        "select: rank {} {} ({}) written to {}",
        chosen.row().rank(),
        chosen.row().configId(),
        chosen.row().label(),
        output != null ? output : store.location("selected.json"));
    if (explain) {
      System.out.print(selection.explain(chosen, leaderboard));
    }
  }
}
