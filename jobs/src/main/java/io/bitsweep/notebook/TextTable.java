package io.bitsweep.notebook;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Prints the rows of a Spark table as an aligned text table for notebooks, with every number
 * formatted in {@link Locale#ROOT}. Whole numbers print as they are, fractional numbers with
 * {@value #DEFAULT_FRACTION_FORMAT} unless {@link #format} sets another format for the column, maps
 * as {@code key=value} pairs in key order and arrays in brackets. Numbers are right-aligned, other
 * values left-aligned, and null prints as an empty cell.
 *
 * <pre>{@code
 * new TextTable().format("size_mb", "%.1f").print(leaderboard.select("rank", "label", "size_mb"), 20);
 * }</pre>
 */
public final class TextTable {
  /** The format of fractional columns that {@link #format} does not name. */
  public static final String DEFAULT_FRACTION_FORMAT = "%.6f";

  private final Map<String, String> formats = new HashMap<>();

  /**
   * Sets the {@link String#format} pattern of one column, such as {@code "%.1f"}. For a map or
   * array column the pattern applies to each value in it.
   */
  public TextTable format(String column, String pattern) {
    formats.put(column, pattern);
    return this;
  }

  /** Prints at most {@code maxRows} rows of {@code rows} to {@code System.out}. */
  public void print(Dataset<Row> rows, int maxRows) {
    if (maxRows <= 0) {
      throw new IllegalArgumentException(
          "Invalid maxRows " + maxRows + ": pass a positive number of rows to print");
    }
    List<Row> collected = rows.limit(maxRows + 1).collectAsList();
    boolean more = collected.size() > maxRows;
    System.out.print(format(rows.schema(), more ? collected.subList(0, maxRows) : collected));
    if (more) {
      System.out.printf(Locale.ROOT, "(first %d rows shown)%n", maxRows);
    }
  }

  /** Returns the table: a header line of column names, then one line per row. */
  public String format(StructType schema, List<Row> rows) {
    StructField[] fields = schema.fields();
    List<String[]> lines = new ArrayList<>(rows.size() + 1);
    lines.add(schema.fieldNames());
    for (Row row : rows) {
      String[] cells = new String[fields.length];
      for (int c = 0; c < fields.length; c++) {
        cells[c] = cell(fields[c], row, c);
      }
      lines.add(cells);
    }
    int[] widths = new int[fields.length];
    for (String[] line : lines) {
      for (int c = 0; c < fields.length; c++) {
        widths[c] = Math.max(widths[c], line[c].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] line : lines) {
      out.append(alignedLine(fields, line, widths)).append('\n');
    }
    return out.toString();
  }

  private String cell(StructField field, Row row, int index) {
    if (row.isNullAt(index)) {
      return "";
    }
    DataType type = field.dataType();
    String pattern = formats.get(field.name());
    if (type instanceof MapType) {
      Map<Object, Object> sorted = new TreeMap<>(row.getJavaMap(index));
      List<String> pairs = new ArrayList<>();
      sorted.forEach((key, value) -> pairs.add(key + "=" + value(value, pattern)));
      return String.join(", ", pairs);
    }
    if (type instanceof ArrayType) {
      List<String> items = new ArrayList<>();
      row.getList(index).forEach(item -> items.add(value(item, pattern)));
      return "[" + String.join(", ", items) + "]";
    }
    try {
      return value(row.get(index), pattern);
    } catch (IllegalFormatException e) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot format column %s (%s) with \"%s\": %s; pass a pattern for that type",
              field.name(),
              type.simpleString(),
              pattern,
              e.getMessage()),
          e);
    }
  }

  private static String value(Object value, String pattern) {
    if (value == null) {
      return "";
    }
    if (pattern != null) {
      return String.format(Locale.ROOT, pattern, value);
    }
    if (value instanceof Double || value instanceof Float) {
      return String.format(Locale.ROOT, DEFAULT_FRACTION_FORMAT, value);
    }
    return value.toString();
  }

  private static String alignedLine(StructField[] fields, String[] cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < cells.length; c++) {
      if (c > 0) {
        line.append("  ");
      }
      String padding = " ".repeat(widths[c] - cells[c].length());
      if (isNumeric(fields[c].dataType())) {
        line.append(padding).append(cells[c]);
      } else {
        line.append(cells[c]).append(padding);
      }
    }
    return line.toString().stripTrailing();
  }

  private static boolean isNumeric(DataType type) {
    return type.sameType(DataTypes.IntegerType)
        || type.sameType(DataTypes.LongType)
        || type.sameType(DataTypes.DoubleType)
        || type.sameType(DataTypes.FloatType)
        || type.sameType(DataTypes.ShortType)
        || type.sameType(DataTypes.ByteType);
  }
}
