package io.bitsweep.reliability;

import io.bitsweep.jobs.Table;
import io.bitsweep.jobs.TableStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import scala.jdk.javaapi.CollectionConverters;

/** Table helpers for the reliability tests: bit-exact row comparison and folder copies. */
final class Tables {
  private Tables() {}

  /**
   * Returns every row of a table as text that is equal exactly when every column is equal bit for
   * bit (doubles and floats as their raw bits, maps with sorted keys), sorted.
   */
  static List<String> canonicalRows(TableStore store, Table table) {
    List<String> rows = new ArrayList<>();
    for (Row row : store.read(table).collectAsList()) {
      rows.add(canonical(row));
    }
    rows.sort(null);
    return rows;
  }

  /** Returns the bit-exact text form of one row, with column names. */
  static String canonical(Row row) {
    List<String> columns = new ArrayList<>();
    for (int i = 0; i < row.size(); i++) {
      columns.add(row.schema().fields()[i].name() + "=" + value(row.get(i)));
    }
    return String.join(", ", columns);
  }

  private static String value(Object value) {
    if (value instanceof Double d) {
      return Long.toHexString(Double.doubleToRawLongBits(d));
    } else if (value instanceof Float f) {
      return Integer.toHexString(Float.floatToRawIntBits(f));
    } else if (value instanceof byte[] bytes) {
      return Arrays.toString(bytes);
    } else if (value instanceof scala.collection.Map<?, ?> map) {
      Map<String, String> sorted = new TreeMap<>();
      CollectionConverters.asJava(map).forEach((k, v) -> sorted.put(value(k), value(v)));
      return sorted.toString();
    } else if (value instanceof scala.collection.Iterable<?> items) {
      List<String> elements = new ArrayList<>();
      CollectionConverters.asJava(items).forEach(item -> elements.add(value(item)));
      return elements.toString();
    }
    return String.valueOf(value);
  }

  /** Copies the named tables (folders) of one output folder into another. */
  static void copy(Path from, Path to, Table... tables) {
    for (Table table : tables) {
      copyTree(from.resolve(table.tableName()), to.resolve(table.tableName()));
    }
  }

  /** Copies a folder and everything under it. */
  static void copyTree(Path from, Path to) {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path source : walk.toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
