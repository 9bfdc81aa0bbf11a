package io.bitsweep.jobs;

import io.bitsweep.kld.SampleStats;
import io.bitsweep.kld.SampleStatsRow;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;

/** Conversions between {@link SampleStats} and rows of the {@code results} table. */
final class ResultRows {
  private ResultRows() {}

  /** A results row for one configuration's statistics on one sample (or a combination). */
  static Row toRow(String configId, int shard, SampleStats stats, String specId, String modelId) {
    SampleStatsRow s = stats.toRow();
    Object[] values = {
        configId,
        s.sampleId(),
        s.category(),
        shard,
        s.tokens(),
        s.kldSum(),
        s.kldSumSquares(),
        s.kldMax(),
        s.kldSketch(),
        s.top1Agreements(),
        s.deltaPSquaresSum(),
        s.referenceTargetLogProbSum(),
        s.quantizedTargetLogProbSum(),
        specId,
        modelId};
    return new GenericRowWithSchema(values, Table.RESULTS.schema());
  }

  /** The statistics stored in a results row. */
  static SampleStats toStats(Row row) {
    return SampleStats.fromRow(
        new SampleStatsRow(
            row.getString(row.fieldIndex("sample_id")),
            row.getString(row.fieldIndex("category")),
            row.getLong(row.fieldIndex("token_count")),
            row.getDouble(row.fieldIndex("kld_sum")),
            row.getDouble(row.fieldIndex("kld_sum_sq")),
            row.getDouble(row.fieldIndex("kld_max")),
            (byte[]) row.get(row.fieldIndex("kld_sketch")),
            row.getLong(row.fieldIndex("top1_agree")),
            row.getDouble(row.fieldIndex("dp_sum_sq")),
            row.getDouble(row.fieldIndex("ref_logprob_sum")),
            row.getDouble(row.fieldIndex("quant_logprob_sum"))));
  }
}
