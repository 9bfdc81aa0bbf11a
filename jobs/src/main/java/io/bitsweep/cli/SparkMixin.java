package io.bitsweep.cli;

import io.bitsweep.jobs.SparkOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The Spark options every Spark-backed subcommand accepts. */
final class SparkMixin {
  @Option(
      names = "--master",
      description = "Spark master URL (default: from spark-submit or conf, else local[*]).")
  String master;

  @Option(
      names = "--conf",
      paramLabel = "KEY=VALUE",
      description = "Extra Spark property, repeatable; wins over spark-defaults.conf.")
  List<String> conf = new ArrayList<>();

  SparkOptions options() {
    return new SparkOptions(master, SparkOptions.parseConf(conf));
  }
}
