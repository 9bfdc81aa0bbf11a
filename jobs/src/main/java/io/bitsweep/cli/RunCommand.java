package io.bitsweep.cli;

import io.bitsweep.awq.ActivationStats;
import io.bitsweep.jobs.ActivationStatsTable;
import io.bitsweep.calibration.CalibrationSet;
import io.bitsweep.jobs.CalibrateJob;
import io.bitsweep.jobs.LeaderboardTable;
import io.bitsweep.jobs.ModelCache;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.Progress;
import io.bitsweep.jobs.RankJob;
import io.bitsweep.jobs.ReferenceJob;
import io.bitsweep.jobs.Selection;
import io.bitsweep.jobs.SweepJob;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.kld.LeaderboardPrinter;
import io.bitsweep.kld.LeaderboardRow;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run the whole pipeline: calibrate, reference, sweep, rank, select and write-mlx.",
      "Tables, the leaderboard (text, CSV, JSON, PNG), selected.json and the MLX model go to --out."
    })
final class RunCommand extends SparkCommand {
  @Mixin ModelMixin model = new ModelMixin();
  @Mixin SpecMixin spec = new SpecMixin();
  @Mixin CalibrateCommand.CalibrationMixin calibration = new CalibrateCommand.CalibrationMixin();

  @Option(
      names = "--top-k",
      defaultValue = "" + ReferenceEncoding.DEFAULT_TOP_K,
      description = "Reference tokens kept per position (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--tail-samples",
      defaultValue = "" + ReferenceEncoding.DEFAULT_TAIL_SAMPLES,
      description =
          "Reference tokens sampled per position outside the top-k; 0 stores the plain top-k form,"
              + " a lower bound of the KLD (default: ${DEFAULT-VALUE}).")
  int tailSamples;

  @Option(
      names = "--configs-per-task",
      defaultValue = "16",
      description = "Configurations one sweep task evaluates as a prefix tree (default: ${DEFAULT-VALUE}).")
  int configsPerTask;

  @Option(names = "--max-bytes", defaultValue = "0", description = "Select within this MLX size in bytes.")
  long maxBytes;

  @Option(
      names = "--max-bpw",
      defaultValue = "" + Selection.DEFAULT_MAX_BPW,
      description =
          "Select within this many bits per weight (default: ${DEFAULT-VALUE}, the cost of a"
              + " 4-bit gs64 weight; a whole uniform 4-bit model is slightly above it because"
              + " its norms stay bf16).")
  double maxBpw;

  @Option(names = "--rank", defaultValue = "0", description = "Select this rank instead of a budget.")
  int rank;

  @Option(names = "--overwrite", description = "Replace an existing MLX model in <out>/mlx.")
  boolean overwrite;

  @Override
  boolean createsOutput() {
    return true;
  }

  @Override
  String step() {
    return "run";
  }

  private Path modelDir;
  private ModelRef ref;
  private SpecMixin.Resolved configurations;
  private CalibrateJob.Options calibrationOptions;
  private CalibrationSet calibrationSet;
  private ReferenceEncoding encoding;
  private SweepJob.Options sweepOptions;
  private Selection selection;

  /**
   * Checks the MLX output, the model (weights included), the spec, the calibration files, the
   * reference and sweep options, and that some configuration meets the --rank or the budget.
   */
  @Override
  void prepare() throws Exception {
    Path localMlx = ModelRef.isRemote(out) ? null : Path.of(out, "mlx");
    if (localMlx != null && Files.exists(localMlx) && !overwrite) {
      throw new IllegalArgumentException(
          "Cannot write the MLX model to " + localMlx + ": it already exists; pass --overwrite to replace it");
    }
    ref = model.ref(spark);
    modelDir = ref.localPath();
    ModelCache.getVerified(ref);
    configurations = spec.resolve(modelDir);
    calibrationOptions = calibration.options(ref);
    calibrationSet = CalibrateJob.load(calibrationOptions);
    encoding = ReferenceCommand.compactEncoding(topK, tailSamples, modelDir);
    selection = new Selection(maxBytes, rank > 0 ? 0 : maxBpw, rank);
    selection.checkReachable(sizes(modelDir, configurations.configurations()));
    sweepOptions =
        new SweepJob.Options(
            ref, configurations.specId(), configurations.configurations(), configsPerTask, 0);
  }

  @Override
  void run(TableStore store) throws Exception {
    String mlxOut = store.location("mlx");
    if (ModelRef.isRemote(out) && store.exists(mlxOut) && !overwrite) {
      throw new IllegalArgumentException(
          "Cannot write the MLX model to " + mlxOut + ": it already exists; pass --overwrite to replace it");
    }
    Progress.LOG.info("run: model {} ({}), {} configurations, output {}", ref.name(), ref.modelId(), configurations.configurations().size(), out);

    CalibrateJob.write(store, calibrationOptions, calibrationSet);
    long positions =
        ReferenceJob.run(
            store, new ReferenceJob.Options(ref, store.root(), encoding));
    Progress.LOG.info("reference: {} scored positions stored", positions);
    SweepJob.Summary sweep = SweepJob.run(store, sweepOptions);
    Progress.LOG.info(
        "sweep: {} pairs computed, {} skipped; forward work {} of independent evaluations",
        sweep.computed(),
        sweep.skipped(),
        String.format(Locale.ROOT, "%.3f", sweep.costFraction()));
    List<LeaderboardRow> ranked = RankJob.run(store, ref);
    System.out.print(LeaderboardPrinter.format(ranked));

    store.spark().sparkContext().setJobGroup("select", "select: read the leaderboard of " + ref.name(), false);
    List<LeaderboardTable.Entry> leaderboard = LeaderboardTable.read(store);
    LeaderboardTable.Entry chosen = selection.choose(leaderboard);
    io.bitsweep.jobs.Artifacts.writeText(store, "selected.json", chosen.configJson() + "\n");
    System.out.print(selection.explain(chosen, leaderboard));
    store
        .spark()
        .sparkContext()
        .setJobGroup("write-mlx", "write-mlx: read the activation statistics of " + ref.name(), false);
    ActivationStats stats = ActivationStatsTable.stats(ActivationStatsTable.read(store, ref));
    WriteMlxCommand.write(
        modelDir, QuantConfig.parse(chosen.configJson(), "selected.json"), mlxOut, overwrite, stats, store.hadoopConf());
  }

  /** Returns the exact MLX size of each configuration, from the checkpoint header. */
  private static List<Selection.Size> sizes(Path modelDir, List<QuantConfig> configs) {
    List<Selection.Size> sizes = new ArrayList<>();
    try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
      QuantPlan.HeadTying tying =
          QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors());
      for (QuantConfig config : configs) {
        QuantPlan plan = QuantPlan.resolve(config, checkpoint.tensors(), tying);
        sizes.add(new Selection.Size(config.label(), plan.mlxBytes(), plan.bitsPerWeight()));
      }
    }
    return sizes;
  }
}
