package io.bitsweep.jobs;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Hadoop configurations for code that reads or writes files outside a Spark job: model staging on
 * executors, and the commands that run without a Spark session. Each carries the {@code
 * spark.hadoop.*} properties of the Spark configuration (S3A endpoint, credentials provider and so
 * on) with the prefix removed, as Spark does for its own jobs.
 */
public final class HadoopConfs {
  private static final String PREFIX = "spark.hadoop.";

  private HadoopConfs() {}

  /**
   * Returns the Hadoop configuration of this JVM: the active Spark session's on a driver, one built
   * from the executor's Spark configuration on an executor, and one built from the {@code spark.*}
   * system properties where Spark is not running.
   */
  public static Configuration current() {
    SparkSession session = SparkSession.getActiveSession().getOrElse(() -> null);
    if (session == null) {
      session = SparkSession.getDefaultSession().getOrElse(() -> null);
    }
    if (session != null && !session.sparkContext().isStopped()) {
      return session.sparkContext().hadoopConfiguration();
    }
    return fromSparkConf(currentSparkConf());
  }

  /** Returns a Hadoop configuration with the {@code spark.hadoop.*} properties of {@code conf}. */
  public static Configuration fromSparkConf(SparkConf conf) {
    Configuration hadoop = new Configuration();
    for (Tuple2<String, String> entry : conf.getAll()) {
      if (entry._1().startsWith(PREFIX)) {
        hadoop.set(entry._1().substring(PREFIX.length()), entry._2());
      }
    }
    return hadoop;
  }

  /**
   * Returns the Spark configuration of this JVM: the running Spark's (driver or executor), else one
   * from the {@code spark.*} system properties.
   */
  static SparkConf currentSparkConf() {
    SparkEnv env = SparkEnv.get();
    return env != null ? env.conf() : new SparkConf();
  }
}
