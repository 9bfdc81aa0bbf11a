package io.bitsweep.model;

import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.CheckpointException;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Parallel;
import io.bitsweep.tensor.VectorOps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The unquantized weights of a memory-mapped checkpoint. Every read converts the stored BF16, F16
 * or F32 values to fp32 afresh, so the heap holds only the arrays that callers request. The file
 * pages stay in the OS page cache. BF16 tensors are widened in parallel chunks with vector kernels,
 * and other dtypes go through {@link Checkpoint#readFloats}.
 */
public final class CheckpointWeights implements WeightSource {
  /** Elements per parallel conversion chunk. */
  private static final int CHUNK_ELEMENTS = 1 << 18;

  private final Checkpoint checkpoint;

  /** Wraps an open checkpoint, which the caller still owns and closes. */
  public CheckpointWeights(Checkpoint checkpoint) {
    this.checkpoint = checkpoint;
  }

  /** Returns the checkpoint the weights are read from. */
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
    TensorInfo info = checkpoint.info(name);
    if (info.dtype() != DType.BF16) {
      return checkpoint.readFloats(name);
    }
    long count = info.elementCount();
    if (count > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(
          "Cannot read "
              + name
              + " into one array: it has "
              + count
              + " elements; read it in row ranges instead");
    }
    float[] out = new float[(int) count];
    readBf16(name, 0, out, 0, out.length);
    return out;
  }

  private void readBf16(String name, long first, float[] dst, int dstOffset, int count) {
    Parallel.forRange(
        count,
        CHUNK_ELEMENTS,
        (from, to) -> {
          int n = to - from;
          ByteBuffer bytes = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
          checkpoint.readBytes(name, 2 * (first + from), bytes);
          short[] bits = new short[n];
          bytes.flip().asShortBuffer().get(bits);
          VectorOps.bf16ToFloat(bits, 0, dst, dstOffset + from, n);
        });
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
    int count = Math.toIntExact(rowCount * width);
    if (info.dtype() == DType.BF16) {
      readBf16(name, firstRow * width, dst, dstOffset, count);
    } else {
      checkpoint.readFloats(name, firstRow * width, dst, dstOffset, count);
    }
  }
}
