package io.bitsweep.jobs;

import io.bitsweep.tensor.Parallel;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes the engine's thread pool on an executor to the cores Spark gave that executor.
 *
 * <p>The engine's pool defaults to every processor the JVM reports. On a cluster node that runs
 * several executors, or in a container that reports every core of the host, each executor would
 * then start one thread per core of the node, and they would compete for the cores. When {@code
 * spark.executor.cores} is set, an executor uses that many threads instead, unless {@code
 * -Dbitsweep.threads} was given explicitly. The driver, and local mode where the driver runs the
 * tasks, keep the default.
 */
final class ExecutorThreads {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorThreads.class);

  private ExecutorThreads() {}

  /** Sets {@code bitsweep.threads} from the executor's cores. Call it before the engine runs. */
  static synchronized void configure() {
    if (System.getProperty(Parallel.THREADS_PROPERTY) != null) {
      return;
    }
    SparkEnv env = SparkEnv.get();
    if (env == null || "driver".equals(env.executorId())) {
      return;
    }
    if (!env.conf().contains("spark.executor.cores")) {
      return;
    }
    int cores = env.conf().getInt("spark.executor.cores", 0);
    if (cores < 1) {
      return;
    }
    System.setProperty(Parallel.THREADS_PROPERTY, Integer.toString(cores));
    int threads = Parallel.parallelism();
    if (threads != cores) {
      LOG.warn(
          "The engine's pool already runs {} threads on executor {}, not the {} of"
              + " spark.executor.cores; it was started before the executor's settings were read",
          threads,
          env.executorId(),
          cores);
    } else {
      LOG.info("Engine threads on executor {}: {} (spark.executor.cores)", env.executorId(), cores);
    }
  }
}
