package io.bitsweep.cli;

import io.bitsweep.jobs.SparkOptions;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
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

  /**
   * Returns the Spark configuration this command's driver will get: the {@code spark.*} system
   * properties (as spark-submit sets them) plus the {@code --conf} options. Steps read it before
   * Spark starts, for example to reach a model on S3.
   */
  SparkConf sparkConf() {
    SparkConf sparkConf = new SparkConf();
    SparkOptions.parseConf(conf).forEach(sparkConf::set);
    return sparkConf;
  }
}
