package io.bitsweep.jobs;

import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.quant.QuantConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Collections;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an MLX model folder to a local path or to any Hadoop file system URI such as {@code
 * s3a://bucket/run/mlx}. A remote folder is written to a local temporary folder first, uploaded
 * beside the target under a temporary name, checked, and only then renamed into place, so a failed
 * upload never leaves a partial model under the target name.
 */
public final class MlxOutput {
  private static final Logger LOG = LoggerFactory.getLogger(MlxOutput.class);

  private MlxOutput() {}

  /**
   * The result of a write.
   *
   * @param location the MLX model folder, as the caller named it
   * @param summary the writer's summary; for a remote target its directory is the local temporary
   *     folder, which is deleted by now
   */
  public record Written(String location, MlxWriter.Summary summary) {
    @Override
    public String toString() {
      String text = summary.toString();
      String directory = summary.directory().toString();
      return text.startsWith(directory) ? location + text.substring(directory.length()) : text;
    }
  }

  /**
   * Quantizes the local model folder {@code modelDir} with {@code config} and writes it to {@code
   * out}.
   *
   * @param conf Hadoop settings for a remote {@code out}; unused for a local one
   * @throws IllegalArgumentException when {@code out} exists and {@code options} do not allow
   *     replacing it
   * @throws UncheckedIOException when the upload fails; the temporary upload is deleted
   */
  public static Written write(
      java.nio.file.Path modelDir,
      QuantConfig config,
      String out,
      MlxWriter.Options options,
      Configuration conf) {
    if (!ModelRef.isRemote(out)) {
      java.nio.file.Path local =
          java.nio.file.Path.of(out.startsWith("file:") ? out.substring(5) : out);
      return new Written(out, MlxWriter.write(modelDir, config, local, options));
    }
    Path target = new Path(out);
    try {
      FileSystem fs = target.getFileSystem(conf);
      checkTarget(fs, target, options.overwrite());
      java.nio.file.Path temporary = Files.createTempDirectory("bitsweep-mlx-");
      try {
        java.nio.file.Path local = temporary.resolve(target.getName());
        MlxWriter.Summary summary =
            MlxWriter.write(
                modelDir,
                config,
                local,
                options.withOverwrite(MlxWriter.OverwriteMode.FAIL_IF_EXISTS));
        upload(fs, local, target, options.overwrite());
        return new Written(out, summary);
      } finally {
        deleteLocal(temporary);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write the MLX model to " + out + ": " + e.getMessage(), e);
    }
  }

  private static void checkTarget(FileSystem fs, Path target, MlxWriter.OverwriteMode mode)
      throws IOException {
    if (mode == MlxWriter.OverwriteMode.FAIL_IF_EXISTS && fs.exists(target)) {
      throw new IllegalArgumentException(
          "Cannot write the MLX model to "
              + target
              + ": it already exists; pass --overwrite to replace it");
    }
  }

  private static void upload(
      FileSystem fs, java.nio.file.Path local, Path target, MlxWriter.OverwriteMode mode)
      throws IOException {
    Path staging =
        new Path(target.getParent(), "_staging-" + target.getName() + "-" + UUID.randomUUID());
    boolean published = false;
    try {
      long start = System.nanoTime();
      fs.copyFromLocalFile(false, false, new Path(local.toUri()), staging);
      checkUpload(fs, local, staging);
      checkTarget(fs, target, mode);
      if (fs.exists(target) && !fs.delete(target, true)) {
        throw new IOException("could not delete the previous model at " + target);
      }
      Renames.publish(fs, staging, target);
      published = true;
      LOG.info(
          "Uploaded {} to {} in {}",
          local,
          target,
          Progress.format((System.nanoTime() - start) / 1e9));
    } finally {
      if (!published) {
        deleteQuietly(fs, staging);
      }
    }
  }

  /** Checks that every local file arrived with its size. */
  private static void checkUpload(FileSystem fs, java.nio.file.Path local, Path staging)
      throws IOException {
    try (var files = Files.list(local)) {
      for (java.nio.file.Path file : files.toList()) {
        Path remote = new Path(staging, file.getFileName().toString());
        FileStatus status = fs.getFileStatus(remote);
        if (status.getLen() != Files.size(file)) {
          throw new IOException(
              String.format(
                  Locale.ROOT,
                  "uploaded %s has %d bytes, expected %d",
                  remote,
                  status.getLen(),
                  Files.size(file)));
        }
      }
    }
  }

  private static void deleteQuietly(FileSystem fs, Path path) {
    try {
      fs.delete(path, true);
    } catch (IOException e) {
      LOG.warn("Cannot delete the temporary upload {}: {}", path, e.toString());
    }
  }

  private static void deleteLocal(java.nio.file.Path folder) throws IOException {
    try (var walk = Files.walk(folder)) {
      for (java.nio.file.Path p : walk.sorted(Collections.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
