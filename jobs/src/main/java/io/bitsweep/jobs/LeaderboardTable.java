package io.bitsweep.jobs;

import io.bitsweep.kld.LeaderboardRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/** Reads the {@code leaderboard} table back as ranked rows. */
public final class LeaderboardTable {
  private LeaderboardTable() {}

  /** A ranked row with the configuration JSON it was measured with. */
  public record Entry(LeaderboardRow row, String configJson, String modelId) {}

  /** The leaderboard of an output folder, rank 1 first. */
  public static List<Entry> read(TableStore store) {
    List<Entry> out = new ArrayList<>();
    for (Row r : store.read(Table.LEADERBOARD).orderBy("rank").collectAsList()) {
      Map<String, Double> categories = new TreeMap<>(r.getJavaMap(r.fieldIndex("category_kld")));
      LeaderboardRow row =
          new LeaderboardRow(
              r.getInt(r.fieldIndex("rank")),
              r.getString(r.fieldIndex("config_id")),
              r.getString(r.fieldIndex("label")),
              r.getLong(r.fieldIndex("size_bytes")),
              r.getDouble(r.fieldIndex("bpw")),
              r.getLong(r.fieldIndex("token_count")),
              r.getDouble(r.fieldIndex("mean_kld")),
              r.getDouble(r.fieldIndex("kld_se")),
              r.getDouble(r.fieldIndex("median_kld")),
              r.getDouble(r.fieldIndex("p90_kld")),
              r.getDouble(r.fieldIndex("p99_kld")),
              r.getDouble(r.fieldIndex("p999_kld")),
              r.getDouble(r.fieldIndex("max_kld")),
              r.getDouble(r.fieldIndex("top1_agreement")),
              r.getDouble(r.fieldIndex("rms_dp")),
              r.getDouble(r.fieldIndex("ppl_ratio")),
              new TreeMap<>(categories),
              r.getBoolean(r.fieldIndex("pareto")));
      out.add(new Entry(row, r.getString(r.fieldIndex("config_json")), r.getString(r.fieldIndex("model_id"))));
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(
          "Table leaderboard at " + store.location(Table.LEADERBOARD) + " is empty; run `bitsweep rank` first");
    }
    return out;
  }
}
