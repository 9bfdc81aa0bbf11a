package io.bitsweep.jobs;

import io.bitsweep.awq.ActivationRecorder;
import io.bitsweep.awq.ActivationStats;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The {@code activation_stats} table: per linear-layer input, per-channel mean |x| and mean x²,
 * and a sample of input rows, recorded by the reference step and read by AWQ in the sweep and the
 * MLX writer.
 */
public final class ActivationStatsTable {
  private ActivationStatsTable() {}

  /**
   * One tensor's statistics in a form tasks and broadcasts can carry: a plain class, because the
   * engine's records are not Serializable and Kryo (used on clusters) cannot serialize records.
   */
  public static final class Entry implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String tensor;
    private final float[] meanAbs;
    private final float[] meanSquare;
    private final long tokenCount;
    private final float[] sampleRows;

    public Entry(String tensor, float[] meanAbs, float[] meanSquare, long tokenCount, float[] sampleRows) {
      this.tensor = tensor;
      this.meanAbs = meanAbs;
      this.meanSquare = meanSquare;
      this.tokenCount = tokenCount;
      this.sampleRows = sampleRows;
    }

    public String tensor() {
      return tensor;
    }

    ActivationStats.TensorStats toStats() {
      return new ActivationStats.TensorStats(tensor, meanAbs, meanSquare, tokenCount, sampleRows);
    }

    static Entry of(ActivationStats.TensorStats stats) {
      return new Entry(stats.tensor(), stats.meanAbs(), stats.meanSquare(), stats.tokenCount(), stats.sampleRows());
    }
  }

  /** Converts statistics to carried entries. */
  public static List<Entry> entries(ActivationStats stats) {
    List<Entry> out = new ArrayList<>();
    for (ActivationStats.TensorStats row : stats.toRows()) {
      out.add(Entry.of(row));
    }
    return out;
  }

  /** Rebuilds statistics from carried entries (null for none). */
  public static ActivationStats stats(List<Entry> entries) {
    if (entries == null || entries.isEmpty()) {
      return null;
    }
    List<ActivationStats.TensorStats> rows = new ArrayList<>();
    for (Entry entry : entries) {
      rows.add(entry.toStats());
    }
    return ActivationStats.fromRows(rows);
  }

  /** Merges per-shard statistics in shard order, so the result does not depend on scheduling. */
  static ActivationStats mergeInShardOrder(List<List<Entry>> byShard) {
    ActivationStats merged = ActivationStats.EMPTY;
    for (List<Entry> shard : byShard) {
      ActivationStats stats = stats(shard);
      if (stats != null) {
        merged = merged.merge(stats, ActivationRecorder.DEFAULT_MAX_SAMPLE_ROWS);
      }
    }
    return merged;
  }

  /** Replaces the table with {@code stats}. */
  static void write(TableStore store, ActivationStats stats, ModelRef model) {
    List<Row> rows = new ArrayList<>();
    for (ActivationStats.TensorStats row : stats.toRows()) {
      rows.add(
          RowFactory.create(
              row.tensor(), row.meanAbs(), row.meanSquare(), row.tokenCount(), row.sampleRows(), model.modelId()));
    }
    store.replace(
        Table.ACTIVATION_STATS,
        store.spark().createDataFrame(rows, Table.ACTIVATION_STATS.schema()).coalesce(1));
  }

  /** Reads the table of an output folder, or returns an empty list when it does not exist. */
  public static List<Entry> read(TableStore store, ModelRef model) {
    if (!store.exists(Table.ACTIVATION_STATS)) {
      return new ArrayList<>();
    }
    Dataset<Row> table = store.read(Table.ACTIVATION_STATS);
    Shards.checkModel(store, Table.ACTIVATION_STATS, table, model);
    return entries(table);
  }

  private static List<Entry> entries(Dataset<Row> table) {
    List<Entry> out = new ArrayList<>();
    for (Row row : table.orderBy("tensor").collectAsList()) {
      out.add(
          new Entry(
              row.getString(0),
              floats(row.getList(1)),
              floats(row.getList(2)),
              row.getLong(3),
              row.isNullAt(4) ? new float[0] : floats(row.getList(4))));
    }
    return out;
  }

  private static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
