package io.bitsweep.jobs;

import io.bitsweep.kld.Leaderboard;
import io.bitsweep.kld.LeaderboardEntry;
import io.bitsweep.kld.LeaderboardExport;
import io.bitsweep.kld.LeaderboardPrinter;
import io.bitsweep.kld.LeaderboardRow;
import io.bitsweep.kld.LeaderboardStats;
import io.bitsweep.kld.SampleStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code rank} step: combines the {@code results} table into one {@code leaderboard} row per
 * configuration. Each configuration's per-sample statistics are combined in sample-id order, so
 * the leaderboard is bit-identical whatever the partitioning of the results.
 */
public final class RankJob {
  private static final Logger LOG = LoggerFactory.getLogger(RankJob.class);

  private RankJob() {}

  /** Runs the step and returns the ranked rows. */
  public static List<LeaderboardRow> run(TableStore store, ModelRef model) {
    store
        .spark()
        .sparkContext()
        .setJobGroup("rank", "rank: read the configurations and results tables of " + model.name(), false);
    Map<String, Row> configurations = new LinkedHashMap<>();
    Dataset<Row> configTable = store.read(Table.CONFIGURATIONS);
    Shards.checkModel(store, Table.CONFIGURATIONS, configTable, model);
    for (Row row : configTable.collectAsList()) {
      configurations.put(row.getString(row.fieldIndex("config_id")), row);
    }
    Dataset<Row> results = store.read(Table.RESULTS);
    Shards.checkModel(store, Table.RESULTS, results, model);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(store.spark().sparkContext());
    jsc.setJobGroup(
        "rank",
        String.format(Locale.ROOT, "rank: combine results of %d configurations of %s", configurations.size(), model.name()),
        false);
    JavaRDD<Row> combined =
        results.javaRDD().groupBy(row -> row.getString(row.fieldIndex("config_id"))).flatMap(group -> combine(group._1(), group._2()));
    Map<String, Map<String, SampleStats>> byConfig = new TreeMap<>();
    for (Row row : combined.collect()) {
      byConfig
          .computeIfAbsent(row.getString(row.fieldIndex("config_id")), k -> new TreeMap<>())
          .put(row.getString(row.fieldIndex("category")), ResultRows.toStats(row));
    }
    List<LeaderboardEntry> entries = new ArrayList<>();
    int missing = 0;
    for (Map.Entry<String, Row> config : configurations.entrySet()) {
      Map<String, SampleStats> stats = byConfig.get(config.getKey());
      if (stats == null) {
        missing++;
        continue;
      }
      entries.add(entry(config.getValue(), stats));
    }
    if (missing > 0) {
      LOG.warn("{} of {} configurations have no results yet; rerun `bitsweep sweep` to finish them", missing, configurations.size());
    }
    if (entries.isEmpty()) {
      throw new IllegalStateException(
          "Cannot rank: table results at " + store.location(Table.RESULTS)
              + " has no rows for the configurations of this sweep; run `bitsweep sweep` first");
    }
    List<LeaderboardRow> ranked = Leaderboard.rank(entries);
    writeLeaderboard(store, model, ranked, configurations);
    jsc.clearJobGroup();
    return ranked;
  }

  /** Combines one configuration's rows: over all samples and per category, in sample-id order. */
  private static Iterator<Row> combine(String configId, Iterable<Row> rows) {
    Map<String, Row> bySample = new TreeMap<>();
    for (Row row : rows) {
      bySample.putIfAbsent(row.getString(row.fieldIndex("sample_id")), row);
    }
    List<SampleStats> all = new ArrayList<>();
    Map<String, List<SampleStats>> byCategory = new TreeMap<>();
    String specId = "";
    String modelId = "";
    for (Row row : bySample.values()) {
      SampleStats stats = ResultRows.toStats(row);
      all.add(stats);
      byCategory.computeIfAbsent(stats.category(), k -> new ArrayList<>()).add(stats);
      specId = row.getString(row.fieldIndex("spec_id"));
      modelId = row.getString(row.fieldIndex("model_id"));
    }
    List<Row> out = new ArrayList<>();
    out.add(ResultRows.toRow(configId, -1, SampleStats.combine(all), specId, modelId));
    for (Map.Entry<String, List<SampleStats>> category : byCategory.entrySet()) {
      SampleStats combined = SampleStats.combine(category.getValue());
      out.add(withCategory(ResultRows.toRow(configId, -1, combined, specId, modelId), category.getKey()));
    }
    return out.iterator();
  }

  private static Row withCategory(Row row, String category) {
    Object[] values = new Object[row.length()];
    for (int i = 0; i < values.length; i++) {
      values[i] = row.get(i);
    }
    values[row.fieldIndex("category")] = "category:" + category;
    return new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(values, row.schema());
  }

  private static LeaderboardEntry entry(Row config, Map<String, SampleStats> stats) {
    Map<String, SampleStats> byCategory = new HashMap<>();
    SampleStats all = null;
    for (Map.Entry<String, SampleStats> e : stats.entrySet()) {
      if (e.getKey().startsWith("category:")) {
        byCategory.put(e.getKey().substring("category:".length()), e.getValue());
      } else {
        all = e.getValue();
      }
    }
    return new LeaderboardEntry(
        config.getString(config.fieldIndex("config_id")),
        config.getString(config.fieldIndex("label")),
        config.getLong(config.fieldIndex("size_bytes")),
        config.getDouble(config.fieldIndex("bpw")),
        LeaderboardStats.of(all, byCategory));
  }

  private static void writeLeaderboard(
      TableStore store, ModelRef model, List<LeaderboardRow> ranked, Map<String, Row> configurations) {
    List<Row> rows = new ArrayList<>();
    for (LeaderboardRow r : ranked) {
      Row config = configurations.get(r.configId());
      rows.add(
          RowFactory.create(
              r.rank(),
              r.configId(),
              r.label(),
              config.getString(config.fieldIndex("config_json")),
              r.sizeBytes(),
              r.bitsPerWeight(),
              r.tokens(),
              r.meanKld(),
              r.kldStandardError(),
              r.medianKld(),
              r.p90Kld(),
              r.p99Kld(),
              r.p999Kld(),
              r.maxKld(),
              r.top1Agreement(),
              r.rmsDeltaP(),
              r.perplexityRatio(),
              scala.jdk.javaapi.CollectionConverters.asScala(r.meanKldByCategory()),
              r.pareto(),
              config.getString(config.fieldIndex("spec_id")),
              model.modelId()));
    }
    rows.sort(Comparator.comparingInt(row -> row.getInt(0)));
    store.replace(Table.LEADERBOARD, store.spark().createDataFrame(rows, Table.LEADERBOARD.schema()).coalesce(1));
    Artifacts.writeText(store, "leaderboard.txt", LeaderboardPrinter.format(ranked));
    Artifacts.writeText(store, "leaderboard.csv", LeaderboardExport.toCsv(ranked));
    Artifacts.writeText(store, "leaderboard.json", LeaderboardExport.toJson(ranked));
    Artifacts.writeBytes(store, "leaderboard.png", ParetoChart.png(ranked, model.name()));
  }
}
