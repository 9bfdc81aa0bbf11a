package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/** Formats hand-made rows the way Spark returns them, without a Spark session. */
class TextTableTest {
  private static final StructType SCHEMA =
      new StructType()
          .add("rank", "int")
          .add("label", "string")
          .add("mean_kld", "double")
          .add("size_bytes", "long");

  @Test
  void alignsNumbersRightAndTextLeft() {
    List<Row> rows =
        List.of(
            RowFactory.create(1, "bf16", 0.0, 10_000_000L),
            RowFactory.create(12, "4/64 mlp_down=8/64", 0.0123456789, 3_000_000L));

    String table = new TextTable().format(SCHEMA, rows);

    assertThat(table)
        .isEqualTo(
            "rank  label               mean_kld  size_bytes\n"
                + "   1  bf16                0.000000    10000000\n"
                + "  12  4/64 mlp_down=8/64  0.012346     3000000\n");
  }

  @Test
  void columnFormatOverridesDefault() {
    List<Row> rows = List.of(RowFactory.create(1, "4/64", 0.25, 5L));

    String table = new TextTable().format("mean_kld", "%.2e").format(SCHEMA, rows);

    assertThat(table.lines().toList().get(1)).isEqualTo("   1  4/64   2.50e-01           5");
  }

  @Test
  void numbersIgnoreDefaultLocale() {
    Locale original = Locale.getDefault();
    Locale.setDefault(Locale.GERMANY);
    try {
      String table = new TextTable().format(SCHEMA, List.of(RowFactory.create(1, "x", 1234.5, 1L)));

      assertThat(table).contains("1234.500000").doesNotContain("1234,5");
    } finally {
      Locale.setDefault(original);
    }
  }

  @Test
  void mapsArraysAndNullsHaveTextForms() {
    StructType schema =
        new StructType()
            .add(
                "category_kld", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType))
            .add("token_ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("note", "string");
    Map<String, Double> categories = new LinkedHashMap<>();
    categories.put("dialogue", 0.5);
    categories.put("code", 0.125);
    Row row =
        RowFactory.create(
            CollectionConverters.asScala(categories),
            CollectionConverters.asScala(List.of(3, 1, 2)).toSeq(),
            null);

    String table = new TextTable().format("category_kld", "%.3f").format(schema, List.of(row));

    assertThat(table.lines().toList().get(1))
        .as("map keys in order, map values in the column's format, null as an empty cell")
        .isEqualTo("code=0.125, dialogue=0.500  [3, 1, 2]");
  }

  @Test
  void wrongFormatNamesColumn() {
    List<Row> rows = List.of(RowFactory.create(1, "4/64", 0.25, 5L));
    TextTable table = new TextTable().format("size_bytes", "%.1f");

    assertThatThrownBy(() -> table.format(SCHEMA, rows))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot format column size_bytes (bigint) with \"%.1f\"")
        .hasMessageContaining("pass a pattern for that type");
  }
}
