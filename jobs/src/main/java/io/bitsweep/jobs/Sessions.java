package io.bitsweep.jobs;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds the one Spark session a bitsweep command uses. */
public final class Sessions {
  private Sessions() {}

  /**
   * Returns the active session, or creates one named {@code appName} from {@code options}. A
   * local master binds the driver to 127.0.0.1 and turns the web UI off unless the Spark
   * configuration says otherwise. Any other master (standalone, YARN, Kubernetes) gets bitsweep's
   * own jars in {@code spark.jars} when no one set it (see {@link ApplicationJars}), so that a
   * driver started outside {@code spark-submit} can run tasks there.
   */
  public static SparkSession getOrCreate(String appName, SparkOptions options) {
    SparkConf conf = new SparkConf();
    if (options.master() != null) {
      conf.setMaster(options.master());
    } else if (!conf.contains("spark.master")) {
      conf.setMaster(SparkOptions.MASTER_DEFAULT);
    }
    conf.setIfMissing("spark.app.name", appName);

    boolean local = conf.get("spark.master").startsWith("local");
    if (local) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
      conf.setIfMissing("spark.ui.enabled", "false");
    }
    options.conf().forEach(conf::set);

    if (!local && !conf.contains("spark.jars")) {
      conf.set("spark.jars", ApplicationJars.forCluster());
    }

    // NOTE: Java serialization stays the default because Kryo 4 cannot serialize the records
    // that tasks carry; the sweep shuffles almost nothing, so Kryo would gain little.
    conf.setIfMissing("spark.sql.shuffle.partitions", local ? "4" : "64");
    // A sweep task is long and CPU-bound; speculation would only duplicate the work.
    conf.setIfMissing("spark.speculation", "false");
    conf.setIfMissing("spark.sql.session.timeZone", "UTC");
    return SparkSession.builder().config(conf).getOrCreate();
  }
}
