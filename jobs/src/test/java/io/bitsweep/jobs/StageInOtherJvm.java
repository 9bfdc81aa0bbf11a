package io.bitsweep.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * Stages a model in a JVM of its own, for the test of the machine-wide staging lock. Arguments:
 * model URI, expected content hash, cache root, and a start file to wait for, so that several
 * such JVMs begin staging at the same moment. Prints {@code downloaded=<true|false> dir=<path>}.
 */
final class StageInOtherJvm {
  private StageInOtherJvm() {}

  public static void main(String[] args) throws Exception {
    Path start = Path.of(args[3]);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(start)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("start file " + start + " did not appear within 60 s");
      }
      Thread.sleep(5);
    }
    ModelStaging.Staged staged =
        ModelStaging.stage(args[0], args[1], null, new Configuration(), Path.of(args[2]));
    System.out.println("downloaded=" + staged.downloaded() + " dir=" + staged.directory());
  }
}
