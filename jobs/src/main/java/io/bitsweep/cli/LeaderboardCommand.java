package io.bitsweep.cli;

import io.bitsweep.jobs.LeaderboardTable;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.kld.LeaderboardExport;
import io.bitsweep.kld.LeaderboardPrinter;
import io.bitsweep.kld.LeaderboardRow;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "leaderboard", mixinStandardHelpOptions = true, description = "Print the leaderboard table.")
final class LeaderboardCommand extends SparkCommand {
  enum Format {
    table,
    csv,
    json
  }

  @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
  Format format;

  @Override
  String step() {
    return "leaderboard";
  }

  @Override
  boolean writesOutput() {
    return false;
  }

  @Override
  void run(TableStore store) {
    List<LeaderboardRow> rows = new ArrayList<>();
    for (LeaderboardTable.Entry entry : LeaderboardTable.read(store)) {
      rows.add(entry.row());
    }
    String text =
        switch (format) {
          case table -> LeaderboardPrinter.format(rows);
          case csv -> LeaderboardExport.toCsv(rows);
          case json -> LeaderboardExport.toJson(rows);
        };
    System.out.print(text);
  }
}
