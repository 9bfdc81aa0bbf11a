package io.bitsweep.jobs;

import static org.apache.spark.sql.types.DataTypes.BinaryType;
import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.apache.spark.sql.types.DataTypes.createMapType;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The tables of a bitsweep output folder and their schemas, in one place. Column names are
 * snake_case; {@code model_id} is the model folder's name and content hash ({@code name@sha256}),
 * so tables built from different models are never mixed.
 */
public enum Table {
  /** One row per calibration sample: its tokens and which positions are scored. */
  CALIBRATION(
      "calibration",
      "calibrate",
      new StructType(
          new StructField[] {
            field("sample_id", StringType, false),
            field("category", StringType, false),
            field("shard", IntegerType, false),
            field("token_ids", createArrayType(IntegerType, false), false),
            field("score_mask", createArrayType(BooleanType, false), false),
            field("truncated", BooleanType, false),
            field("model_id", StringType, false),
          })),

  /**
   * One row per scored position: the bf16 model's next-token distribution in compact form (top-k
   * ids and log-probs plus the log of the remaining mass), or full log-probs when asked. The
   * compact form also stores tokens sampled from the remaining mass with their log-probs, empty
   * for the plain top-k form.
   */
  REFERENCE(
      "reference",
      "reference",
      new StructType(
          new StructField[] {
            field("sample_id", StringType, false),
            field("shard", IntegerType, false),
            field("position", IntegerType, false),
            field("target_token", IntegerType, false),
            field("target_logprob", FloatType, false),
            field("top_ids", createArrayType(IntegerType, false), false),
            field("top_logprobs", createArrayType(FloatType, false), false),
            field("tail_logmass", FloatType, false),
            field("tail_ids", createArrayType(IntegerType, false), false),
            field("tail_logprobs", createArrayType(FloatType, false), false),
            field("full_logprobs", createArrayType(FloatType, false), true),
            field("model_id", StringType, false),
          })),

  /** One row per linear layer input: per-channel activation statistics for AWQ. */
  ACTIVATION_STATS(
      "activation_stats",
      "reference",
      new StructType(
          new StructField[] {
            field("tensor", StringType, false),
            field("mean_abs", createArrayType(FloatType, false), false),
            field("mean_sq", createArrayType(FloatType, false), false),
            field("token_count", LongType, false),
            field("sample_rows", createArrayType(FloatType, false), true),
            field("model_id", StringType, false),
          })),

  /** One row per configuration of the sweep: its settings and the exact size of its MLX model. */
  CONFIGURATIONS(
      "configurations",
      "sweep",
      new StructType(
          new StructField[] {
            field("config_id", StringType, false),
            field("label", StringType, false),
            field("config_json", StringType, false),
            field("size_bytes", LongType, false),
            field("bpw", DoubleType, false),
            field("spec_id", StringType, false),
            field("model_id", StringType, false),
          })),

  /** One row per (configuration, sample): mergeable KLD statistics. */
  RESULTS(
      "results",
      "sweep",
      new StructType(
          new StructField[] {
            field("config_id", StringType, false),
            field("sample_id", StringType, false),
            field("category", StringType, false),
            field("shard", IntegerType, false),
            field("token_count", LongType, false),
            field("kld_sum", DoubleType, false),
            field("kld_sum_sq", DoubleType, false),
            field("kld_max", DoubleType, false),
            field("kld_sketch", BinaryType, false),
            field("top1_agree", LongType, false),
            field("dp_sum_sq", DoubleType, false),
            field("ref_logprob_sum", DoubleType, false),
            field("quant_logprob_sum", DoubleType, false),
            field("spec_id", StringType, false),
            field("model_id", StringType, false),
          })),

  /** One row per configuration: its settings, size and KLD statistics, ranked. */
  LEADERBOARD(
      "leaderboard",
      "rank",
      new StructType(
          new StructField[] {
            field("rank", IntegerType, false),
            field("config_id", StringType, false),
            field("label", StringType, false),
            field("config_json", StringType, false),
            field("size_bytes", LongType, false),
            field("bpw", DoubleType, false),
            field("token_count", LongType, false),
            field("mean_kld", DoubleType, false),
            field("kld_se", DoubleType, false),
            field("median_kld", DoubleType, false),
            field("p90_kld", DoubleType, false),
            field("p99_kld", DoubleType, false),
            field("p999_kld", DoubleType, false),
            field("max_kld", DoubleType, false),
            field("top1_agreement", DoubleType, false),
            field("rms_dp", DoubleType, false),
            field("ppl_ratio", DoubleType, false),
            field("category_kld", createMapType(StringType, DoubleType, false), false),
            field("pareto", BooleanType, false),
            field("spec_id", StringType, false),
            field("model_id", StringType, false),
          }));

  private final String tableName;
  private final String writtenBy;
  private final StructType schema;

  Table(String tableName, String writtenBy, StructType schema) {
    this.tableName = tableName;
    this.writtenBy = writtenBy;
    this.schema = schema;
  }

  /** Folder name of the table under the output folder. */
  public String tableName() {
    return tableName;
  }

  /** The bitsweep step that writes this table. */
  public String writtenBy() {
    return writtenBy;
  }

  public StructType schema() {
    return schema;
  }

  private static StructField field(String name, DataType type, boolean nullable) {
    return new StructField(name, type, nullable, Metadata.empty());
  }
}
