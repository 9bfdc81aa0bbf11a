package io.bitsweep.model;

/**
 * Decode state of one Gated DeltaNet layer for one sequence: the last {@code Kc - 1} pre-conv
 * projection rows {@code [Kc - 1, C]} (oldest first, zeros before the sequence starts) and the fp32
 * recurrent state {@code [Hv, dk, dv]}.
 */
final class DeltaNetState {
  final float[] conv;
  final float[] recurrent;

  DeltaNetState(LinearAttentionConfig shape) {
    this.conv = new float[(shape.convKernelDim() - 1) * shape.convDim()];
    this.recurrent = new float[shape.numValueHeads() * shape.keyHeadDim() * shape.valueHeadDim()];
  }

  private DeltaNetState(DeltaNetState other) {
    this.conv = other.conv.clone();
    this.recurrent = other.recurrent.clone();
  }

  DeltaNetState copy() {
    return new DeltaNetState(this);
  }
}
