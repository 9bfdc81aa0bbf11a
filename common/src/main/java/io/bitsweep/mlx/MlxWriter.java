package io.bitsweep.mlx;

import io.bitsweep.Counts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.FileErrors;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.NonFiniteScan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a Hugging Face checkpoint, quantized with a configuration, as an MLX model folder that
 * {@code mlx_lm.load} accepts without conversion: tensors named and laid out as mlx-lm's module
 * tree has them (see {@link MlxLayout}), quantized tensors bit-identical to MLX's CPU quantizer,
 * sorted contiguous safetensors shards of at most 5 GiB of data with {@code {"format": "mlx"}}
 * metadata, the index, {@code config.json} with the {@code quantization} block, and the tokenizer
 * and generation files.
 *
 * <p>Values are read through a {@link WeightSource} by Hugging Face name, by default the checkpoint
 * itself; {@link Options#weightTransform} can wrap it, for example to apply AWQ scaling and fold
 * the inverse scales into the preceding norms. Scales, biases and unquantized tensors keep each
 * tensor's checkpoint dtype. Tensors are streamed a chunk of rows at a time, so the heap needed
 * does not grow with the model.
 */
public final class MlxWriter {
  private static final Logger LOG = LoggerFactory.getLogger(MlxWriter.class);

  /** Share of the parameters between two progress lines at INFO. */
  private static final int PROGRESS_STEPS = 20;

  /** The policy for an output folder that already exists. */
  public enum OverwriteMode {
    /** Fail and leave the folder alone. */
    FAIL_IF_EXISTS,
    /** Replace it once the new model is complete. */
    REPLACE
  }

  /**
   * Options of a write.
   *
   * @param overwrite what to do when the output folder exists
   * @param weightTransform wraps the checkpoint's weight source, or null to read the checkpoint as
   *     it is; required when the configuration requests AWQ
   * @param maxShardBytes tensor data per shard before a new one starts
   */
  public record Options(
      OverwriteMode overwrite, UnaryOperator<WeightSource> weightTransform, long maxShardBytes) {
    public Options {
      if (overwrite == null) {
        throw new IllegalArgumentException(
            "Options.overwrite: missing; use FAIL_IF_EXISTS or REPLACE");
      }
      if (maxShardBytes <= 0) {
        throw new IllegalArgumentException(
            "Options.maxShardBytes: must be positive, found " + maxShardBytes);
      }
    }

    /**
     * Fails on an existing folder, reads the checkpoint as it is, and uses mlx-lm's 5 GiB shards.
     */
    public static Options defaults() {
      return new Options(OverwriteMode.FAIL_IF_EXISTS, null, ShardPlan.DEFAULT_MAX_SHARD_BYTES);
    }

    public Options withOverwrite(OverwriteMode mode) {
      return new Options(mode, weightTransform, maxShardBytes);
    }

    public Options withWeightTransform(UnaryOperator<WeightSource> transform) {
      return new Options(overwrite, transform, maxShardBytes);
    }

    public Options withMaxShardBytes(long bytes) {
      return new Options(overwrite, weightTransform, bytes);
    }
  }

  /**
   * The result of a write.
   *
   * @param directory the MLX model folder
   * @param files every file written, by name in sorted order
   * @param shardFiles the safetensors shards, in order
   * @param tensorCount tensors in the shards
   * @param tensorBytes tensor data in the shards, the index's {@code total_size}
   * @param shardFileBytes the sizes of the shard files, headers included
   * @param parameterCount parameters as mlx-lm's {@code get_total_parameters} counts them
   * @param quantizedTensors MLX weights stored quantized
   * @param configurationId the configuration's id
   */
  public record Summary(
      Path directory,
      List<String> files,
      List<String> shardFiles,
      int tensorCount,
      long tensorBytes,
      long shardFileBytes,
      long parameterCount,
      long quantizedTensors,
      String configurationId) {
    public Summary {
      files = List.copyOf(files);
      shardFiles = List.copyOf(shardFiles);
    }

    /** Returns bits per weight as mlx-lm prints it: 8 · tensor bytes / parameters. */
    public double bitsPerWeight() {
      return parameterCount == 0 ? 0 : 8.0 * tensorBytes / parameterCount;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%s: %s in %s, %d bytes of tensors, %d parameters, %.4f bits per weight",
          directory,
          Counts.of(tensorCount, "tensor"),
          Counts.of(shardFiles.size(), "shard"),
          tensorBytes,
          parameterCount,
          bitsPerWeight());
    }
  }

  private MlxWriter() {}

  /**
   * Writes the checkpoint in {@code modelDir} quantized with {@code config} to {@code outDir}.
   *
   * @throws MlxException when the output exists and may not be replaced, when the checkpoint does
   *     not map onto mlx-lm's model, or when writing fails. The temporary folder is deleted before
   *     the exception leaves.
   * @throws io.bitsweep.quant.QuantConfigException when the configuration does not fit the
   *     checkpoint, for example a group size that does not divide a tensor's last dimension
   * @throws io.bitsweep.safetensors.CheckpointException when the checkpoint is invalid, holds NaN
   *     or infinite weights, or links a copied file to a place outside the model folder
   */
  public static Summary write(Path modelDir, QuantConfig config, Path outDir, Options options) {
    return write(modelDir, config, outDir, options, ParameterWriter.CHUNK_VALUES);
  }

  /** Same as {@link #write(Path, QuantConfig, Path, Options)}, reading chunks of the given size. */
  static Summary write(
      Path modelDir, QuantConfig config, Path outDir, Options options, int chunkValues) {
    Path model = modelDir.toAbsolutePath().normalize();
    Path out = outDir.toAbsolutePath().normalize();
    OutputFolder.checkTarget(model, out, options.overwrite());
    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      JsonNode configJson = checkpoint.configJson();
      rejectQuantizedSource(configJson, model);
      ModelConfig modelConfig = ModelConfig.load(checkpoint);
      modelConfig.validate(checkpoint);
      NonFiniteScan.requireFinite(checkpoint);
      HeadTying tying = HeadTying.detect(configJson, checkpoint.tensors());
      QuantPlan plan = QuantPlan.resolve(config, checkpoint.tensors(), tying);
      plan.warnings().forEach(warning -> LOG.warn("{}", warning));
      WeightSource weights = new CheckpointWeights(checkpoint);
      if (options.weightTransform() != null) {
        weights = options.weightTransform().apply(weights);
      }
      MlxWritePlan writePlan = MlxWritePlan.of(modelConfig.architecture(), plan, weights);
      if (writePlan.usesAwq() && options.weightTransform() == null) {
        throw new MlxException(
            "Cannot write configuration "
                + config.id()
                + " ("
                + config.label()
                + "): it requests"
                + " AWQ on some groups, but no AWQ weight transform was given; pass the AWQ"
                + " scales, or remove awq from the configuration");
      }
      return writeFolder(model, out, configJson, writePlan, weights, options, chunkValues);
    }
  }

  /**
   * Rejects a model whose config.json has a quantization entry: quantizing starts from the
   * unquantized checkpoint.
   *
   * @throws MlxException naming the folder
   */
  public static void rejectQuantizedSource(JsonNode configJson, Path model) {
    if (configJson.has("quantization") || configJson.has("quantization_config")) {
      throw new MlxException(
          "Cannot quantize "
              + model
              + ": its config.json already has a quantization entry;"
              + " pass the unquantized Hugging Face checkpoint");
    }
  }

  private static Summary writeFolder(
      Path model,
      Path out,
      JsonNode configJson,
      MlxWritePlan writePlan,
      WeightSource weights,
      Options options,
      int chunkValues) {
    Path temporary = null;
    try {
      temporary = OutputFolder.createTemporary(out);
      ShardPlan shards = ShardPlan.of(writePlan.fileTensors(), options.maxShardBytes());
      logStart(model, out, writePlan, shards);
      writeShards(temporary, shards, writePlan, weights, chunkValues);
      List<String> files = writeMetadata(temporary, model, configJson, writePlan, shards);
      long shardFileBytes = 0;
      List<String> shardFiles = new ArrayList<>();
      for (ShardPlan.Shard shard : shards.shards()) {
        shardFiles.add(shard.fileName());
        shardFileBytes += Files.size(temporary.resolve(shard.fileName()));
      }
      OutputFolder.commit(temporary, out, options.overwrite());
      temporary = null;
      Summary summary =
          new Summary(
              out,
              files,
              shardFiles,
              shards.tensorCount(),
              shards.dataBytes(),
              shardFileBytes,
              writePlan.parameterCount(),
              writePlan.quantizedCount(),
              writePlan.quantPlan().config().id());
      LOG.info("Wrote MLX model {}", summary);
      return summary;
    } catch (IOException e) {
      throw new MlxException(
          "Cannot write the MLX model to " + out + ": " + FileErrors.describe(e), e);
    } finally {
      deleteQuietly(temporary);
    }
  }

  private static void logStart(Path model, Path out, MlxWritePlan writePlan, ShardPlan shards) {
    QuantPlan plan = writePlan.quantPlan();
    LOG.info(
        "Writing MLX model {} from {}: configuration {} ({}), {} in {}, {} bytes,"
            + " {} bits per weight",
        out,
        model,
        plan.config().id(),
        plan.config().label(),
        Counts.of(shards.tensorCount(), "tensor"),
        Counts.of(shards.shards().size(), "shard"),
        shards.dataBytes(),
        String.format(Locale.ROOT, "%.4f", plan.bitsPerWeight()));
  }

  private static void writeShards(
      Path folder, ShardPlan shards, MlxWritePlan writePlan, WeightSource weights, int chunkValues)
      throws IOException {
    List<StoredParameter> parameters = writePlan.parameters();
    int total = parameters.size();
    int step = Math.max(1, total / PROGRESS_STEPS);
    long start = System.nanoTime();
    try (ShardFiles files = ShardFiles.create(folder, shards)) {
      ParameterWriter writer = new ParameterWriter(weights, files, chunkValues);
      for (int i = 0; i < total; i++) {
        StoredParameter parameter = parameters.get(i);
        writer.write(parameter);
        LOG.debug("{}/{} {} ({})", i + 1, total, parameter.parameter().name(), parameter.setting());
        if ((i + 1) % step == 0 || i + 1 == total) {
          logProgress(i + 1, total, start);
        }
      }
      files.finish();
    }
  }

  private static void logProgress(int done, int total, long startNanos) {
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    double remaining = elapsed / done * (total - done);
    LOG.info(
        "Wrote {}/{} tensors, {} s elapsed, ETA {} s",
        done,
        total,
        String.format(Locale.ROOT, "%.1f", elapsed),
        String.format(Locale.ROOT, "%.1f", remaining));
  }

  private static List<String> writeMetadata(
      Path folder, Path model, JsonNode configJson, MlxWritePlan writePlan, ShardPlan shards)
      throws IOException {
    List<String> files = new ArrayList<>();
    MlxConfigFiles.write(
        folder.resolve(MlxConfigFiles.INDEX_FILE),
        MlxConfigFiles.index(shards, writePlan.parameterCount()));
    ObjectNode quantization = MlxConfigFiles.quantization(writePlan.modules());
    MlxConfigFiles.write(
        folder.resolve(MlxConfigFiles.CONFIG_FILE),
        MlxConfigFiles.config(configJson, quantization));
    files.add(MlxConfigFiles.INDEX_FILE);
    files.add(MlxConfigFiles.CONFIG_FILE);
    for (String copied : OutputFolder.copyAuxiliaryFiles(model, folder)) {
      if (!files.contains(copied)) {
        files.add(copied);
      }
    }
    shards.shards().forEach(shard -> files.add(shard.fileName()));
    files.sort(null);
    return files;
  }

  private static void deleteQuietly(Path temporary) {
    if (temporary == null) {
      return;
    }
    try {
      OutputFolder.deleteRecursively(temporary);
    } catch (IOException | UncheckedIOException e) {
      LOG.warn(
          "Cannot delete the temporary folder {} after a failed write: {}",
          temporary,
          e.toString());
    }
  }
}
