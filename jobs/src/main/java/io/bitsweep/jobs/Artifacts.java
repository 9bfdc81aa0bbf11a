package io.bitsweep.jobs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Small files beside the tables (the printed leaderboard, its chart, the selected configuration),
 * written through the output folder's Hadoop file system so they work on {@code s3a://} too.
 */
public final class Artifacts {
  private Artifacts() {}

  public static void writeText(TableStore store, String name, String text) {
    writeBytes(store, name, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes {@code <out>/<name>} via a temporary file and a rename, replacing any old file. */
  public static void writeBytes(TableStore store, String name, byte[] bytes) {
    Path target = new Path(store.location(name));
    Path staging = new Path(store.location("_staging-" + name));
    try {
      FileSystem fs = store.fileSystem(target);
      try (OutputStream out = fs.create(staging, true)) {
        out.write(bytes);
      }
      fs.delete(target, false);
      if (!fs.rename(staging, target)) {
        throw new IOException("could not rename " + staging + " to " + target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  /** Reads {@code <out>/<name>} as UTF-8 text. */
  public static String readText(TableStore store, String name) {
    Path path = new Path(store.location(name));
    try (InputStream in = store.fileSystem(path).open(path)) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      in.transferTo(bytes);
      return bytes.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
