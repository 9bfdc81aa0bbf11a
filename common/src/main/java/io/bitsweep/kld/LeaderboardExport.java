package io.bitsweep.kld;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Writes leaderboard rows as CSV or JSON with the snake_case column names of the leaderboard table,
 * so the numbers can be read without parsing console text. Doubles are written in full precision
 * with {@link Double#toString}, which does not depend on the locale.
 */
public final class LeaderboardExport {
  private LeaderboardExport() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The columns every row has, in CSV order. */
  public static final List<String> COLUMNS =
      List.of(
          "rank",
          "config_id",
          "label",
          "size_bytes",
          "bpw",
          "token_count",
          "mean_kld",
          "kld_se",
          "median_kld",
          "p90_kld",
          "p99_kld",
          "p999_kld",
          "max_kld",
          "top1_agreement",
          "rms_dp",
          "ppl_ratio",
          "pareto");

  /** The leaderboard table's map of mean KLD by category, a nested object in JSON. */
  public static final String CATEGORY_COLUMN = "category_kld";

  /** The prefix of the per-category columns in CSV, followed by the category name. */
  public static final String CATEGORY_COLUMN_PREFIX = CATEGORY_COLUMN + "_";

  /**
   * Returns RFC 4180 CSV with "\n" line ends: a header, then one line per row. After the fixed
   * {@link #COLUMNS} come {@code category_kld_<category>} columns for every category of any row,
   * sorted, left empty where a row lacks that category.
   */
  public static String toCsv(List<LeaderboardRow> rows) {
    SortedSet<String> categories = new TreeSet<>();
    rows.forEach(row -> categories.addAll(row.meanKldByCategory().keySet()));
    StringBuilder out = new StringBuilder();
    StringBuilder header = new StringBuilder(String.join(",", COLUMNS));
    categories.forEach(
        category -> header.append(',').append(csvField(CATEGORY_COLUMN_PREFIX + category)));
    out.append(header).append('\n');
    for (LeaderboardRow row : rows) {
      List<String> fields = new ArrayList<>();
      values(row).forEach(value -> fields.add(csvField(String.valueOf(value))));
      for (String category : categories) {
        Double mean = row.meanKldByCategory().get(category);
        fields.add(mean == null ? "" : mean.toString());
      }
      out.append(String.join(",", fields)).append('\n');
    }
    return out.toString();
  }

  /**
   * Returns a pretty-printed JSON array with one object per row: the fixed {@link #COLUMNS} as
   * keys, plus {@code category_kld} as an object keyed by category.
   */
  public static String toJson(List<LeaderboardRow> rows) {
    ArrayNode array = JSON.createArrayNode();
    for (LeaderboardRow row : rows) {
      ObjectNode object = array.addObject();
      List<Object> values = values(row);
      for (int c = 0; c < COLUMNS.size(); c++) {
        object.putPOJO(COLUMNS.get(c), values.get(c));
      }
      ObjectNode categories = object.putObject(CATEGORY_COLUMN);
      row.meanKldByCategory().forEach(categories::put);
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(array);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write the leaderboard as JSON: " + e.getMessage(), e);
    }
  }

  private static List<Object> values(LeaderboardRow row) {
    return List.of(
        row.rank(),
        row.configId(),
        row.label(),
        row.sizeBytes(),
        row.bitsPerWeight(),
        row.tokens(),
        row.meanKld(),
        row.kldStandardError(),
        row.medianKld(),
        row.p90Kld(),
        row.p99Kld(),
        row.p999Kld(),
        row.maxKld(),
        row.top1Agreement(),
        row.rmsDeltaP(),
        row.perplexityRatio(),
        row.pareto());
  }

  /** Quotes a CSV field when it contains a comma, a quote or a line break, doubling quotes. */
  private static String csvField(String text) {
    if (text.indexOf(',') < 0
        && text.indexOf('"') < 0
        && text.indexOf('\n') < 0
        && text.indexOf('\r') < 0) {
      return text;
    }
    return '"' + text.replace("\"", "\"\"") + '"';
  }
}
