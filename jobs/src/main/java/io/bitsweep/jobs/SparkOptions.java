package io.bitsweep.jobs;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How to reach Spark: the master URL and extra Spark properties from the command line.
 *
 * <p>Precedence: a {@code --master} or {@code --conf} option wins, then the Spark configuration
 * (properties set by {@code spark-submit} or {@code conf/spark-defaults.conf}), then the defaults
 * here ({@code local[*]} with everything bound to 127.0.0.1 and the web UI off).
 *
 * @param master Spark master URL, or null to take it from the Spark configuration
 * @param conf extra Spark properties, applied last
 */
public record SparkOptions(String master, Map<String, String> conf) {
  /** Master used when neither the command line nor the Spark configuration names one. */
  public static final String MASTER_DEFAULT = "local[*]";

  public SparkOptions {
    conf = Map.copyOf(conf == null ? Map.of() : conf);
    if (master != null && master.isBlank()) {
      throw new IllegalArgumentException("--master is empty; pass a Spark master URL such as local[*]");
    }
  }

  /** Options with no master and no extra properties. */
  public static SparkOptions defaults() {
    return new SparkOptions(null, Map.of());
  }

  /**
   * Parses {@code key=value} pairs from repeated {@code --conf} options.
   *
   * @throws IllegalArgumentException naming the pair that has no {@code =}
   */
  public static Map<String, String> parseConf(Iterable<String> pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    if (pairs == null) {
      return out;
    }
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            String.format(Locale.ROOT, "Invalid --conf \"%s\": expected KEY=VALUE", pair));
      }
      out.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    return out;
  }
}
