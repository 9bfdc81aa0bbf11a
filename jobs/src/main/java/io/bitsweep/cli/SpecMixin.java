package io.bitsweep.cli;

import io.bitsweep.SharedModels;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantConfigException;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.sweep.GeneratedSweep;
import io.bitsweep.sweep.SweepEntry;
import io.bitsweep.sweep.SweepSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the configurations of a sweep come from: a sweep spec, or configuration files. */
final class SpecMixin {
  @Option(
      names = "--spec",
      paramLabel = "FILE",
      description = "Sweep spec YAML (default: conf/sweeps/default.yaml, 121 configurations).")
  Path spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "A configuration JSON to sweep instead of a spec; repeatable.")
  List<Path> configs = new ArrayList<>();

  /** The configurations and an id naming this set of them. */
  record Resolved(String specId, List<QuantConfig> configurations, String description) {}

  /**
   * Resolves the configurations for the model in {@code modelDir} and checks each against its
   * checkpoint header (layer ranges, groups that match no tensor, group sizes that do not divide a
   * tensor's input dimension), so a bad spec fails before any Spark job.
   *
   * @throws QuantConfigException naming the spec or configuration file and every problem
   */
  Resolved resolve(Path modelDir) throws IOException {
    int layers =
        ModelConfig.fromJson(Checkpoint.readConfigJson(modelDir), modelDir.resolve("config.json").toString())
            .numHiddenLayers();
    Resolved resolved = resolve(layers);
    try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
      QuantPlan.HeadTying tying = QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors());
      for (QuantConfig config : resolved.configurations()) {
        try {
          QuantPlan.resolve(config, checkpoint.tensors(), tying);
        } catch (QuantConfigException e) {
          throw new QuantConfigException(source() + ": " + e.getMessage(), e);
        }
      }
    }
    return resolved;
  }

  private String source() {
    if (!configs.isEmpty()) {
      return configs.size() == 1 ? configs.get(0).toString() : "--config files " + configs;
    }
    return spec != null ? spec.toString() : "conf/sweeps/default.yaml";
  }

  Resolved resolve(int layerCount) throws IOException {
    if (!configs.isEmpty() && spec != null) {
      throw new IllegalArgumentException("Pass either --spec or --config, not both");
    }
    List<QuantConfig> out = new ArrayList<>();
    String name;
    String description;
    if (!configs.isEmpty()) {
      for (Path file : configs) {
        out.add(QuantConfig.parse(Files.readString(file), file.toString()));
      }
      name = "configs";
      description = out.size() + " configuration files";
    } else {
      Path file = spec != null ? spec : SharedModels.repositoryRoot().resolve("conf/sweeps/default.yaml");
      GeneratedSweep sweep = SweepSpec.load(file, layerCount).generate();
      for (Map.Entry<SweepEntry, String> duplicate : sweep.duplicates()) {
        io.bitsweep.jobs.Progress.LOG.info(
            "sweep spec {}: \"{}\" repeats \"{}\" (same configuration id); it runs once",
            file,
            duplicate.getKey().label(),
            duplicate.getValue());
      }
      for (SweepEntry entry : sweep.entries()) {
        out.add(entry.config());
      }
      name = sweep.spec().name();
      description = sweep.describe();
    }
    return new Resolved(name + "@" + idOf(out), out, description);
  }

  private static String idOf(List<QuantConfig> configurations) {
    List<String> ids = new ArrayList<>();
    for (QuantConfig config : configurations) {
      ids.add(config.id());
    }
    ids.sort(null);
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(String.join("\n", ids).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }
}
