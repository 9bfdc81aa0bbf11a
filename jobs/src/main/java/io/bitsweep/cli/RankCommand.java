package io.bitsweep.cli;

import io.bitsweep.jobs.RankJob;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.kld.LeaderboardPrinter;
import io.bitsweep.kld.LeaderboardRow;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "rank",
    mixinStandardHelpOptions = true,
    description = "Combine the results table into the ranked leaderboard and print it.")
final class RankCommand extends SparkCommand {
  @Mixin ModelMixin model = new ModelMixin();

  @Override
  String step() {
    return "rank";
  }

  @Override
  void run(TableStore store) {
    List<LeaderboardRow> rows = RankJob.run(store, model.ref(spark));
    System.out.print(LeaderboardPrinter.format(rows));
  }
}
