package io.bitsweep.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Deterministic rows for any table schema, so storage tests keep working when a table gains or
 * changes a column. Row {@code i} contains values derived from {@code i} in every column.
 */
public final class TestRows {
  private TestRows() {}

  /** Row number {@code index} of a table with {@code schema}. */
  public static Row row(StructType schema, int index) {
    StructField[] fields = schema.fields();
    Object[] values = new Object[fields.length];
    for (int column = 0; column < fields.length; column++) {
      values[column] = value(fields[column].dataType(), index, column);
    }
    return RowFactory.create(values);
  }

  /** Rows {@code 0..count-1} of a table with {@code schema}. */
  public static List<Row> rows(StructType schema, int count) {
    List<Row> rows = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      rows.add(row(schema, i));
    }
    return rows;
  }

  /**
   * Returns a text form of a row that is equal for equal contents, whether the row was built here
   * or read back by Spark: byte arrays print their bytes, and Scala collections print their
   * elements.
   */
  public static String canonical(Row row) {
    List<String> columns = new ArrayList<>();
    for (int i = 0; i < row.size(); i++) {
      columns.add(canonicalValue(row.get(i)));
    }
    return columns.toString();
  }

  private static String canonicalValue(Object value) {
    if (value instanceof byte[] bytes) {
      return Arrays.toString(bytes);
    } else if (value instanceof scala.collection.Map<?, ?> map) {
      List<String> entries = new ArrayList<>();
      CollectionConverters.asJava(map)
          .forEach((k, v) -> entries.add(canonicalValue(k) + "=" + canonicalValue(v)));
      return "{" + String.join(", ", entries) + "}";
    } else if (value instanceof scala.collection.Iterable<?> items) {
      List<String> elements = new ArrayList<>();
      CollectionConverters.asJava(items).forEach(item -> elements.add(canonicalValue(item)));
      return elements.toString();
    } else if (value instanceof Row nested) {
      return canonical(nested);
    }
    return String.valueOf(value);
  }

  private static Object value(DataType type, int index, int column) {
    if (type instanceof StringType) {
      return "row-" + index + "-col-" + column;
    } else if (type instanceof IntegerType) {
      return index + column;
    } else if (type instanceof LongType) {
      return (long) index * 1_000 + column;
    } else if (type instanceof DoubleType) {
      return index * 0.5 + column;
    } else if (type instanceof FloatType) {
      return index * 0.25f + column;
    } else if (type instanceof BooleanType) {
      return (index + column) % 2 == 0;
    } else if (type instanceof BinaryType) {
      return ("bytes-" + index).getBytes(StandardCharsets.UTF_8);
    } else if (type instanceof ArrayType array) {
      List<Object> elements = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        elements.add(value(array.elementType(), index + k, column));
      }
      return CollectionConverters.asScala(elements).toSeq();
    } else if (type instanceof MapType map) {
      Map<Object, Object> entries = new LinkedHashMap<>();
      entries.put(value(map.keyType(), index, column), value(map.valueType(), index, column));
      return CollectionConverters.asScala(entries);
    }
    throw new UnsupportedOperationException(
        "TestRows cannot make values of type " + type.simpleString() + "; add a case for it");
  }
}
