package io.bitsweep.calibration;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints the sample and token counts per category of a calibration mix as one model tokenizes it,
 * with the default options (maximum length 2048, truncation, assistant scoring, one shard). It
 * measures the figures in {@code conf/calibration/README.md}.
 *
 * <pre>
 * mvn -q -o -pl common compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
 * java -cp common/target/classes:$(cat common/target/classpath.txt) \
 *     io.bitsweep.calibration.CalibrationReport ../shared/models/qwen35-tiny-stories conf/calibration
 * </pre>
 */
public final class CalibrationReport {
  private CalibrationReport() {}

  /** Arguments: the model folder, then one or more input files or folders. */
  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: CalibrationReport MODEL_DIR INPUT [INPUT...]");
      System.exit(2);
    }
    List<Path> inputs = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      inputs.add(Path.of(args[i]));
    }
    CalibrationSet set = CalibrationLoader.builder().model(Path.of(args[0])).inputs(inputs).load();
    System.out.print(table(set));
  }

  /** Returns the counts as a Markdown table, one row per category and a total row. */
  static String table(CalibrationSet set) {
    StringBuilder out = new StringBuilder();
    out.append("| Category | Samples | Tokens | Scored tokens | Truncated | No scored token |\n");
    out.append("|---|---:|---:|---:|---:|---:|\n");
    for (Map.Entry<String, CategoryStats> entry : set.categories().entrySet()) {
      appendRow(out, entry.getKey(), entry.getValue());
    }
    appendRow(out, "total", set.total());
    return out.toString();
  }

  private static void appendRow(StringBuilder out, String name, CategoryStats stats) {
    out.append(
        String.format(
            Locale.ROOT,
            "| %s | %d | %d | %d | %d | %d |%n",
            name,
            stats.samples(),
            stats.tokens(),
            stats.scoredTokens(),
            stats.truncated(),
            stats.zeroScored()));
  }
}
