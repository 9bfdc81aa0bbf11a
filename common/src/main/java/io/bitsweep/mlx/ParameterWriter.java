package io.bitsweep.mlx;

import io.bitsweep.mlx.MlxParameter.Segment;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.QuantizedTensor;
import io.bitsweep.safetensors.Encoding;
import java.io.IOException;
import java.util.Locale;

/**
 * Streams one MLX parameter from a {@link WeightSource} into the shard files, a chunk of rows at a
 * time: reads fp32 rows, applies the norm shift, then quantizes (MLX's CPU kernel, via {@link
 * AffineQuantizer}) or rounds to the stored dtype, and writes each piece at its final position.
 * Quantization works row by row, so a chunk gives exactly the bytes the whole tensor would.
 */
final class ParameterWriter {
  /** Values read per chunk (16 MiB of fp32), which bounds the heap the writer needs. */
  static final int CHUNK_VALUES = 1 << 22;

  private final int chunkValues;

  private final WeightSource source;
  private final ShardFiles files;

  /** Creates a writer that reads about {@code chunkValues} values at a time (at least one row). */
  ParameterWriter(WeightSource source, ShardFiles files, int chunkValues) {
    this.source = source;
    this.files = files;
    this.chunkValues = chunkValues;
  }

  /** Writes every segment of {@code stored}. */
  void write(StoredParameter stored) throws IOException {
    AffineQuantizer quantizer = stored.quantized() ? AffineQuantizer.of(stored.setting()) : null;
    for (Segment segment : stored.parameter().segments()) {
      writeSegment(stored, segment, quantizer);
    }
  }

  private void writeSegment(StoredParameter stored, Segment segment, AffineQuantizer quantizer)
      throws IOException {
    MlxParameter parameter = stored.parameter();
    long width = source.info(segment.source()).lastDim();
    boolean rowAligned = segment.sourceOffset() % width == 0 && segment.length() % width == 0;
    if (!rowAligned || (quantizer != null && width != parameter.lastDim())) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Segment of %s in %s does not hold whole rows of %d values",
              segment.source(),
              parameter.name(),
              width));
    }
    long firstRow = segment.sourceOffset() / width;
    long rows = segment.length() / width;
    int rowsPerChunk = (int) Math.max(1, Math.min(rows, chunkValues / width));
    for (long done = 0; done < rows; done += rowsPerChunk) {
      int count = (int) Math.min(rowsPerChunk, rows - done);
      float[] values = new float[Math.toIntExact(count * width)];
      source.readRows(segment.source(), firstRow + done, count, values, 0);
      if (parameter.shiftedNorm()) {
        // mlx-lm adds 1 to the stored value and rounds back to the stored dtype.
        for (int i = 0; i < values.length; i++) {
          values[i] += 1f;
        }
      }
      long targetElement = segment.targetOffset() + done * width;
      if (quantizer == null) {
        long byteOffset = targetElement * stored.dtype().byteSize();
        files.write(stored.weightName(), byteOffset, Encoding.encodeFloats(stored.dtype(), values));
      } else {
        writeQuantized(stored, quantizer, values, count, targetElement / width);
      }
    }
  }

  private void writeQuantized(
      StoredParameter stored, AffineQuantizer quantizer, float[] values, int rows, long targetRow)
      throws IOException {
    long columns = stored.parameter().lastDim();
    QuantizedTensor quantized =
        quantizer.quantize(values, new long[] {rows, columns}, stored.dtype());
    int scaleBytes = stored.dtype().byteSize();
    long groupsOffset = targetRow * stored.groupsPerRow() * scaleBytes;
    files.write(
        stored.weightName(),
        targetRow * stored.wordsPerRow() * 4,
        Encoding.encodeInts(quantized.words()));
    files.write(
        stored.scalesName(),
        groupsOffset,
        Encoding.encodeFloats(stored.dtype(), quantized.scales()));
    files.write(
        stored.biasesName(),
        groupsOffset,
        Encoding.encodeFloats(stored.dtype(), quantized.biases()));
  }
}
