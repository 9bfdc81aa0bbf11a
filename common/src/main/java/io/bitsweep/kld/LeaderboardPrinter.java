package io.bitsweep.kld;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Formats leaderboard rows as an aligned text table for the console, one line per configuration in
 * the order given. Numbers use {@link Locale#ROOT} and fixed decimals. Each column is as wide as
 * its widest cell, text columns are left-aligned and numbers right-aligned, columns are separated
 * by two spaces and trailing spaces are trimmed.
 *
 * <p>Columns: rank, config id, label, size in MB (10^6 bytes), bits per weight, mean KLD ± its
 * standard error, median, p99 and p99.9 KLD, max KLD, top-1 agreement in percent, RMS Δp in
 * percentage points, perplexity ratio, and "*" for configurations on the Pareto front.
 */
public final class LeaderboardPrinter {
  private LeaderboardPrinter() {}

  private enum Align {
    LEFT,
    RIGHT
  }

  private record Column(String header, Align align, Function<LeaderboardRow, String> cell) {}

  private static final List<Column> COLUMNS =
      List.of(
          new Column("rank", Align.RIGHT, row -> Integer.toString(row.rank())),
          new Column("config", Align.LEFT, LeaderboardRow::configId),
          new Column("label", Align.LEFT, LeaderboardRow::label),
          new Column("size MB", Align.RIGHT, row -> number("%.1f", row.sizeBytes() / 1e6)),
          new Column("bpw", Align.RIGHT, row -> number("%.3f", row.bitsPerWeight())),
          new Column(
              "mean KLD ± SE",
              Align.RIGHT,
              row -> number("%.6f ± %.6f", row.meanKld(), row.kldStandardError())),
          new Column("median", Align.RIGHT, row -> number("%.6f", row.medianKld())),
          new Column("p99", Align.RIGHT, row -> number("%.6f", row.p99Kld())),
          new Column("p99.9", Align.RIGHT, row -> number("%.6f", row.p999Kld())),
          new Column("max", Align.RIGHT, row -> number("%.6f", row.maxKld())),
          new Column("top-1 %", Align.RIGHT, row -> number("%.2f", 100 * row.top1Agreement())),
          new Column("RMS Δp %", Align.RIGHT, row -> number("%.3f", 100 * row.rmsDeltaP())),
          new Column("PPL ratio", Align.RIGHT, row -> number("%.5f", row.perplexityRatio())),
          new Column("pareto", Align.LEFT, row -> row.pareto() ? "*" : ""));

  /** Returns the table: a header line, then one line per row, each ending in a newline. */
  public static String format(List<LeaderboardRow> rows) {
    List<String[]> lines = new ArrayList<>(rows.size() + 1);
    lines.add(COLUMNS.stream().map(Column::header).toArray(String[]::new));
    for (LeaderboardRow row : rows) {
      lines.add(COLUMNS.stream().map(column -> column.cell().apply(row)).toArray(String[]::new));
    }
    int[] widths = new int[COLUMNS.size()];
    for (String[] line : lines) {
      for (int c = 0; c < widths.length; c++) {
        widths[c] = Math.max(widths[c], line[c].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] line : lines) {
      appendLine(out, line, widths);
    }
    return out.toString();
  }

  private static void appendLine(StringBuilder out, String[] cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < cells.length; c++) {
      if (c > 0) {
        line.append("  ");
      }
      String padding = " ".repeat(widths[c] - cells[c].length());
      if (COLUMNS.get(c).align() == Align.RIGHT) {
        line.append(padding).append(cells[c]);
      } else {
        line.append(cells[c]).append(padding);
      }
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }

  private static String number(String format, Object... values) {
    return String.format(Locale.ROOT, format, values);
  }
}
