package io.bitsweep.eval;

import java.util.Locale;

/**
 * Forward work done by a prefix-tree evaluation, against what evaluating every configuration
 * independently would cost: in stages (embedding, layers, head) and in multiply-adds per token.
 */
public final class WorkCount {
  private long stagesRun;
  private double costRun;
  private long stagesIndependent;
  private double costIndependent;

  void add(int stage, double cost) {
    stagesRun++;
    costRun += cost;
  }

  void setIndependent(long stages, double cost) {
    stagesIndependent = stages;
    costIndependent = cost;
  }

  /** Adds another shard's counts to these. */
  public void merge(WorkCount other) {
    stagesRun += other.stagesRun;
    costRun += other.costRun;
    stagesIndependent += other.stagesIndependent;
    costIndependent += other.costIndependent;
  }

  public long stagesRun() {
    return stagesRun;
  }

  public long stagesIndependent() {
    return stagesIndependent;
  }

  /** Multiply-adds per token actually run. */
  public double costRun() {
    return costRun;
  }

  /** Multiply-adds per token that independent evaluations would run. */
  public double costIndependent() {
    return costIndependent;
  }

  /** Multiply-adds per token actually run, as a fraction of independent evaluations. */
  public double costFraction() {
    return costIndependent == 0 ? 0 : costRun / costIndependent;
  }

  /** Stages actually run, as a fraction of independent evaluations. */
  public double stageFraction() {
    return stagesIndependent == 0 ? 0 : (double) stagesRun / stagesIndependent;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%d of %d stages (%.3f), %.3f of the multiply-adds of independent evaluations",
        stagesRun,
        stagesIndependent,
        stageFraction(),
        costFraction());
  }
}
