package io.bitsweep.tokenizer;

import java.util.Locale;

/**
 * Puts DJL into offline mode before its tokenizer classes load, so that the native library comes
 * from the jar and nothing reaches the network.
 *
 * <p>Without offline mode DJL 0.38.0 contacts the EC2 metadata address and a telemetry URL when a
 * tokenizer is created ({@code Ec2Utils.callHome}), and on a machine with a CUDA runtime it looks
 * for a CUDA build of the library and downloads it, because the jar contains only CPU builds. In
 * offline mode it skips the telemetry and extracts the CPU library from the jar into {@code
 * DJL_CACHE_DIR} (default {@code ~/.djl.ai}, or the temporary folder when the home folder is
 * read-only).
 */
final class DjlOffline {
  /** The system property DJL reads when the environment variable {@code DJL_OFFLINE} is unset. */
  static final String OFFLINE_PROPERTY = "ai.djl.offline";

  /** The switch that turns off DJL's telemetry even outside offline mode. */
  static final String OPT_OUT_PROPERTY = "OPT_OUT_TRACKING";

  private static volatile boolean done;

  private DjlOffline() {}

  /**
   * Sets the offline properties once per JVM.
   *
   * @throws IllegalStateException when the environment sets {@code DJL_OFFLINE} to something other
   *     than true, because the environment overrides the system property
   */
  static void ensure() {
    if (done) {
      return;
    }
    synchronized (DjlOffline.class) {
      String env = System.getenv("DJL_OFFLINE");
      if (env != null && !Boolean.parseBoolean(env)) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "Cannot load a tokenizer: the environment variable DJL_OFFLINE=%s would let DJL"
                    + " download native libraries and send telemetry; unset it or set it to true",
                env));
      }
      System.setProperty(OFFLINE_PROPERTY, "true");
      System.setProperty(OPT_OUT_PROPERTY, "true");
      done = true;
    }
  }
}
