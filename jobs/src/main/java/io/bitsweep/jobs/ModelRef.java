package io.bitsweep.jobs;

import io.bitsweep.safetensors.Checkpoint;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;

/**
 * The model a job runs, as the driver resolved it: where executors find it and its id.
 *
 * <p>A local folder is read in place, so on a cluster it must exist at the same path on every
 * machine. A folder on another Hadoop file system ({@code s3a://bucket/models/qwen}, {@code
 * hdfs://...}) is staged to local disk once per machine by {@link ModelStaging}.
 *
 * @param location the model folder: a local path, or a Hadoop URI such as {@code s3a://b/m}
 * @param modelId the folder name and the first 16 hex digits of its content hash, {@code
 *     name@hash}; every table stores it so that tables of different models are never mixed
 * @param contentHash the full SHA-256 content hash, which staged copies are checked against
 * @param remoteFiles for a remote model, the size of each file the driver saw, by name; empty for a
 *     local folder
 */
public record ModelRef(
    String location, String modelId, String contentHash, Map<String, Long> remoteFiles)
    implements Serializable {
  private static final Pattern URI_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");

  public ModelRef {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("Model location is empty; pass --model DIR");
    }
    if (modelId == null || !modelId.contains("@")) {
      throw new IllegalArgumentException(
          "Invalid model id \"" + modelId + "\": expected name@hash");
    }
    if (contentHash == null || !contentHash.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException(
          "Invalid content hash \""
              + contentHash
              + "\" of model "
              + location
              + ": expected 64 hex digits");
    }
    remoteFiles =
        Collections.unmodifiableSortedMap(
            new TreeMap<>(remoteFiles == null ? Map.of() : remoteFiles));
  }

  /**
   * Resolves a model on the driver: hashes a local folder, or stages a remote one (see {@link
   * ModelStaging}) with the Spark configuration of this JVM (the running session's, else the {@code
   * spark.*} system properties).
   *
   * @throws IllegalArgumentException when the folder does not exist
   */
  public static ModelRef resolve(String location) {
    return isRemote(location)
        ? resolveRemote(location, HadoopConfs.current(), ModelStaging.cacheRoot())
        : resolveLocal(location);
  }

  /**
   * Resolves a model like {@link #resolve(String)}, reading a remote one with the {@code
   * spark.hadoop.*} settings of {@code sparkConf} into the cache folder it names. Commands use it
   * before their Spark session starts.
   */
  public static ModelRef resolve(String location, SparkConf sparkConf) {
    return isRemote(location)
        ? resolveRemote(
            location, HadoopConfs.fromSparkConf(sparkConf), ModelStaging.cacheRoot(sparkConf))
        : resolveLocal(location);
  }

  private static ModelRef resolveRemote(String location, Configuration conf, Path cacheRoot) {
    ModelStaging.Staged staged = ModelStaging.stage(location, conf, cacheRoot);
    return new ModelRef(location, staged.modelId(), staged.contentHash(), staged.fileSizes());
  }

  private static ModelRef resolveLocal(String location) {
    Path path =
        Path.of(location.startsWith("file:") ? location.substring(5) : location)
            .toAbsolutePath()
            .normalize();
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(
          "Model folder "
              + path
              + " does not exist; pass --model with a Hugging Face model folder");
    }
    String hash = Checkpoint.contentHash(path);
    return new ModelRef(
        path.toString(), path.getFileName() + "@" + hash.substring(0, 16), hash, Map.of());
  }

  /** Whether {@code location} names a non-local Hadoop file system, such as {@code s3a://}. */
  public static boolean isRemote(String location) {
    return URI_SCHEME.matcher(location).matches() && !location.startsWith("file:");
  }

  /** Whether executors stage this model instead of reading it in place. */
  public boolean isRemote() {
    return !remoteFiles.isEmpty();
  }

  /** The model's short name (its folder name). */
  public String name() {
    return modelId.substring(0, modelId.lastIndexOf('@'));
  }

  /**
   * Returns the local folder to read: the folder itself, or for a remote model its staged copy on
   * this machine, which the first call per machine downloads.
   */
  public Path localPath() {
    return isRemote() ? ModelStaging.localCopy(this) : Path.of(location);
  }
}
