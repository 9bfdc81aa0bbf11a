package io.bitsweep.model;

import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.CheckpointException;
import io.bitsweep.safetensors.TensorInfo;
import java.util.Locale;

/**
 * The unquantized weights of a memory-mapped checkpoint. Every read converts the stored BF16, F16
 * or F32 values to fp32 afresh, so nothing beyond the array a caller asks for is kept on the heap;
 * the file pages stay in the OS page cache.
 */
public final class CheckpointWeights implements WeightSource {
  private final Checkpoint checkpoint;

  /** Wraps an open checkpoint; the caller keeps ownership and closes it. */
  public CheckpointWeights(Checkpoint checkpoint) {
    this.checkpoint = checkpoint;
  }

  /** The checkpoint the weights are read from. */
  public Checkpoint checkpoint() {
    return checkpoint;
  }

  @Override
  public TensorInfo info(String name) {
    return checkpoint.info(name);
  }

  @Override
  public boolean contains(String name) {
    return checkpoint.contains(name);
  }

  @Override
  public float[] read(String name) {
    return checkpoint.readFloats(name);
  }

  @Override
  public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
    TensorInfo info = checkpoint.info(name);
    long width = info.lastDim();
    long rows = info.elementCount() / Math.max(1, width);
    if (firstRow < 0 || rowCount < 0 || firstRow + rowCount > rows) {
      throw new CheckpointException(
          String.format(
              Locale.ROOT,
              "Cannot read rows %d..%d of %s from %s: it has %d rows of %d",
              firstRow,
              firstRow + rowCount,
              name,
              info.file().getFileName(),
              rows,
              width));
    }
    checkpoint.readFloats(name, firstRow * width, dst, dstOffset, Math.toIntExact(rowCount * width));
  }
}
