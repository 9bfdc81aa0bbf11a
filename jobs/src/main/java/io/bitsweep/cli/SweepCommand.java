package io.bitsweep.cli;

import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.SweepJob;
import io.bitsweep.jobs.TableStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = "Measure every configuration of a sweep spec against the reference table.")
final class SweepCommand extends SparkCommand {
  @Mixin ModelMixin model = new ModelMixin();
  @Mixin SpecMixin spec = new SpecMixin();

  @Option(
      names = "--configs-per-task",
      defaultValue = "16",
      description = "Configurations one task evaluates together as a prefix tree (default: ${DEFAULT-VALUE}).")
  int configsPerTask;

  @Option(
      names = "--tasks-per-wave",
      defaultValue = "0",
      description = "Tasks per Spark job; a rerun resumes after the last finished wave (default: 2 x parallelism).")
  int tasksPerWave;

  @Override
  String step() {
    return "sweep";
  }

  private ModelRef ref;
  private SpecMixin.Resolved resolved;

  @Override
  void prepare() throws Exception {
    ref = model.ref(spark);
    resolved = spec.resolve(ref.localPath());
  }

  @Override
  void run(TableStore store) throws Exception {
    SweepJob.Summary summary =
        SweepJob.run(
            store,
            new SweepJob.Options(ref, resolved.specId(), resolved.configurations(), configsPerTask, tasksPerWave));
    Progress.LOG.info(
        "sweep: {} pairs, {} skipped (already in results), {} computed; forward work {} of {} stages,"
            + " {} of the multiply-adds of independent evaluations",
        summary.pairs(),
        summary.skipped(),
        summary.computed(),
        summary.stagesRun(),
        summary.stagesIndependent(),
        String.format(java.util.Locale.ROOT, "%.3f", summary.costFraction()));
  }
}
