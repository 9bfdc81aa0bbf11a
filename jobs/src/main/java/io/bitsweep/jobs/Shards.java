package io.bitsweep.jobs;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Loads the calibration (and reference) tables on the driver, grouped by shard, as the payloads
 * that tasks carry to executors. The calibration set is small next to the model (hundreds of
 * thousands of tokens at most), so the driver holds it whole.
 */
final class Shards {
  private Shards() {}

  /** Calibration samples by shard, each shard's samples sorted by sample id. */
  static TreeMap<Integer, List<SamplePayload>> load(TableStore store, ModelRef model) {
    Dataset<Row> calibration = store.read(Table.CALIBRATION);
    checkModel(store, Table.CALIBRATION, calibration, model);
    TreeMap<Integer, List<SamplePayload>> shards = new TreeMap<>();
    for (Row row : calibration.collectAsList()) {
      int shard = row.getInt(row.fieldIndex("shard"));
      shards.computeIfAbsent(shard, s -> new ArrayList<>()).add(SamplePayload.fromCalibrationRow(row));
    }
    shards.values().forEach(list -> list.sort(Comparator.comparing(p -> p.sampleId)));
    if (shards.isEmpty()) {
      throw new IllegalStateException(
          "Table calibration at " + store.location(Table.CALIBRATION)
              + " has no samples; rerun `bitsweep calibrate` with calibration files");
    }
    return shards;
  }

  /** Loads calibration and attaches each sample's reference rows. */
  static TreeMap<Integer, List<SamplePayload>> loadWithReference(TableStore store, ModelRef model) {
    TreeMap<Integer, List<SamplePayload>> shards = load(store, model);
    Dataset<Row> reference = store.read(Table.REFERENCE);
    checkModel(store, Table.REFERENCE, reference, model);
    Map<String, List<Row>> bySample = new HashMap<>();
    for (Row row : reference.orderBy(col("sample_id"), col("position")).collectAsList()) {
      bySample.computeIfAbsent(row.getString(row.fieldIndex("sample_id")), k -> new ArrayList<>()).add(row);
    }
    for (List<SamplePayload> samples : shards.values()) {
      for (SamplePayload sample : samples) {
        sample.attachReference(bySample.getOrDefault(sample.sampleId, List.of()));
      }
    }
    return shards;
  }

  /**
   * Checks that every row of a table was built from {@code model}.
   *
   * @throws IllegalStateException naming the table, both model ids and the fix
   */
  static void checkModel(TableStore store, Table table, Dataset<Row> rows, ModelRef model) {
    List<Row> ids = rows.select("model_id").distinct().limit(3).collectAsList();
    for (Row id : ids) {
      if (!model.modelId().equals(id.getString(0))) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "Cannot use table %s at %s: it was built from model %s, but this run uses model %s;"
                    + " rerun `bitsweep %s` with this model, or choose another --out",
                table.tableName(),
                store.location(table),
                id.getString(0),
                model.modelId(),
                table.writtenBy()));
      }
    }
  }
}
