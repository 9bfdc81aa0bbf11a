package io.bitsweep.jobs;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Publishes a staged folder under its final name.
 *
 * <p>On an object store a folder rename is a copy of every object followed by deletes, and a store
 * may keep empty prefixes or folder markers of the source afterwards. Those are removed here. A
 * source that still contains files after the rename means the copy was incomplete, which is reported
 * rather than hidden: the incomplete target is removed, so no later step reads it.
 */
final class Renames {
  private Renames() {}

  /**
   * Renames {@code staging} to {@code target} (which must not exist) and checks that nothing but
   * empty folders stayed behind at {@code staging}.
   *
   * @throws IOException when the rename fails, or leaves files at {@code staging}. In the second
   *     case {@code target} is deleted before the exception is thrown.
   */
  static void publish(FileSystem fs, Path staging, Path target) throws IOException {
    if (!fs.rename(staging, target)) {
      throw new IOException("could not rename " + staging + " to " + target);
    }
    if (!fs.exists(staging)) {
      return;
    }
    int files = 0;
    String example = null;
    RemoteIterator<LocatedFileStatus> left = fs.listFiles(staging, true);
    while (left.hasNext()) {
      LocatedFileStatus status = left.next();
      files++;
      if (example == null) {
        example = status.getPath().toString();
      }
    }
    if (files > 0) {
      fs.delete(target, true);
      throw new IOException(
          String.format(
              Locale.ROOT,
              "renaming %s to %s left %d file(s) behind, such as %s, so the copy at the target"
                  + " was incomplete and has been removed; check the file system and run the"
                  + " step again",
              staging,
              target,
              files,
              example));
    }
    fs.delete(staging, true);
  }
}
