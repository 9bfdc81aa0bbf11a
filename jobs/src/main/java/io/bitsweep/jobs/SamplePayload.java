package io.bitsweep.jobs;

import io.bitsweep.eval.ShardSample;
import io.bitsweep.kld.FullDistribution;
import io.bitsweep.kld.ReferenceDistribution;
import io.bitsweep.kld.ReferencePosition;
import io.bitsweep.kld.SampledTailDistribution;
import io.bitsweep.kld.TopKDistribution;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * One calibration sample shipped to an executor inside a task: tokens, score mask and, for the
 * sweep, the reference distributions of its scored positions in compact arrays.
 */
public final class SamplePayload implements Serializable {
  private static final long serialVersionUID = 1L;

  final String sampleId;
  final String category;
  final int[] tokenIds;
  final boolean[] scoreMask;
  // Reference entries, one per scored position, in position order (null before the reference step).
  int[] positions;
  int[] targets;
  float[] targetLogProbs;
  int[][] topIds;
  float[][] topLogProbs;
  float[] tailLogMass;
  int[][] tailIds;
  float[][] tailLogProbs;
  float[][] fullLogProbs;

  SamplePayload(String sampleId, String category, int[] tokenIds, boolean[] scoreMask) {
    this.sampleId = sampleId;
    this.category = category;
    this.tokenIds = tokenIds;
    this.scoreMask = scoreMask;
  }

  /** Builds a payload from a calibration-table row. */
  static SamplePayload fromCalibrationRow(Row row) {
    List<Integer> ids = row.getList(row.fieldIndex("token_ids"));
    List<Boolean> mask = row.getList(row.fieldIndex("score_mask"));
    int[] tokens = new int[ids.size()];
    boolean[] scored = new boolean[mask.size()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = ids.get(i);
      scored[i] = mask.get(i);
    }
    return new SamplePayload(
        row.getString(row.fieldIndex("sample_id")),
        row.getString(row.fieldIndex("category")),
        tokens,
        scored);
  }

  /** Attaches this sample's reference rows, which must be sorted by position. */
  void attachReference(List<Row> rows) {
    int n = rows.size();
    positions = new int[n];
    targets = new int[n];
    targetLogProbs = new float[n];
    topIds = new int[n][];
    topLogProbs = new float[n][];
    tailLogMass = new float[n];
    tailIds = new int[n][];
    tailLogProbs = new float[n][];
    fullLogProbs = new float[n][];
    for (int i = 0; i < n; i++) {
      Row row = rows.get(i);
      positions[i] = row.getInt(row.fieldIndex("position"));
      targets[i] = row.getInt(row.fieldIndex("target_token"));
      targetLogProbs[i] = row.getFloat(row.fieldIndex("target_logprob"));
      topIds[i] = toInts(row.getList(row.fieldIndex("top_ids")));
      topLogProbs[i] = toFloats(row.getList(row.fieldIndex("top_logprobs")));
      tailLogMass[i] = row.getFloat(row.fieldIndex("tail_logmass"));
      tailIds[i] = toInts(row.getList(row.fieldIndex("tail_ids")));
      tailLogProbs[i] = toFloats(row.getList(row.fieldIndex("tail_logprobs")));
      int full = row.fieldIndex("full_logprobs");
      fullLogProbs[i] = row.isNullAt(full) ? null : toFloats(row.getList(full));
    }
  }

  /** The engine's view of the sample. */
  ShardSample toShardSample() {
    return new ShardSample(sampleId, category, tokenIds, scoreMask);
  }

  /** The reference at each position (null where not scored), from the attached rows. */
  ReferencePosition[] referencePositions() {
    if (positions == null) {
      throw new IllegalStateException(
          "Sample " + sampleId + " has no reference rows; rerun `bitsweep reference`");
    }
    ReferencePosition[] out = new ReferencePosition[tokenIds.length];
    for (int i = 0; i < positions.length; i++) {
      out[positions[i]] = new ReferencePosition(distribution(i), targets[i], targetLogProbs[i]);
    }
    return out;
  }

  private ReferenceDistribution distribution(int i) {
    if (fullLogProbs[i] != null) {
      return new FullDistribution(fullLogProbs[i]);
    }
    TopKDistribution top = new TopKDistribution(topIds[i], topLogProbs[i], tailLogMass[i]);
    return tailIds[i].length == 0
        ? top
        : new SampledTailDistribution(top, tailIds[i], tailLogProbs[i]);
  }

  private static int[] toInts(List<Integer> values) {
    int[] out = new int[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static float[] toFloats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
