package io.bitsweep.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header and the
 * raw little-endian tensor data. The header is validated completely when the file is opened, so
 * later reads cannot run outside the file. Data stays on disk and is paged in on demand, which lets
 * a model larger than the heap be read.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Largest header accepted, checked before anything is allocated for it. */
  public static final long MAX_HEADER_BYTES = 100L << 20;

  /** Deepest JSON nesting accepted in a header (a valid header nests three levels). */
  public static final int MAX_HEADER_DEPTH = 16;

  /** What to do about a damaged file, appended to every validation error. */
  private static final String FIX = "download or export the file again";

  private static final int WINDOW_SHIFT = 30; // map the data in 1 GiB windows
  private static final long WINDOW_SIZE = 1L << WINDOW_SHIFT;
  private static final int COPY_CHUNK_BYTES = 1 << 20;

  private static final ObjectMapper HEADER_MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxNestingDepth(MAX_HEADER_DEPTH).build())
              .build());

  private final Path path;
  private final FileChannel channel;
  private final long fileSize;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;
  private final MappedByteBuffer[] windows;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      long fileSize,
      long dataStart,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata)
      throws IOException {
    this.path = path;
    this.channel = channel;
    this.fileSize = fileSize;
    this.dataStart = dataStart;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
    long dataSize = fileSize - dataStart;
    int windowCount = (int) ((dataSize + WINDOW_SIZE - 1) >>> WINDOW_SHIFT);
    this.windows = new MappedByteBuffer[windowCount];
    for (int i = 0; i < windowCount; i++) {
      long start = dataStart + ((long) i << WINDOW_SHIFT);
      long length = Math.min(WINDOW_SIZE, fileSize - start);
      windows[i] = channel.map(FileChannel.MapMode.READ_ONLY, start, length);
    }
  }

  /**
   * Opens and validates a safetensors file.
   *
   * @throws CheckpointException if the file is truncated, its header is too large, is not JSON,
   *     names an unknown dtype, or has data offsets that are out of range, overlapping or that do
   *     not match the tensor's shape and dtype
   */
  public static SafetensorsFile open(Path path) {
    FileChannel channel = null;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
      long fileSize = channel.size();
      long headerLength = readHeaderLength(path, channel, fileSize);
      byte[] headerBytes = new byte[(int) headerLength];
      ByteBuffer headerBuffer = ByteBuffer.wrap(headerBytes);
      while (headerBuffer.hasRemaining()) {
        if (channel.read(headerBuffer, 8 + headerBuffer.position()) < 0) {
          throw fail(path, "the file ended inside the header; it is truncated, so " + FIX);
        }
      }
      long dataStart = 8 + headerLength;
      Map<String, String> metadata = new TreeMap<>();
      Map<String, TensorInfo> tensors =
          parseHeader(path, headerBytes, fileSize - dataStart, dataStart, metadata);
      SafetensorsFile file =
          new SafetensorsFile(path, channel, fileSize, dataStart, tensors, metadata);
      channel = null; // owned by the file now
      return file;
    } catch (IOException e) {
      throw new CheckpointException("Cannot read " + path + ": " + e.getMessage(), e);
    } finally {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // the open already failed; that error is the one to report
        }
      }
    }
  }

  private static long readHeaderLength(Path path, FileChannel channel, long fileSize)
      throws IOException {
    if (fileSize < 8) {
      throw fail(
          path,
          String.format(
              Locale.ROOT,
              "the file has %d bytes, fewer than the 8-byte header length; it is truncated, so "
                  + FIX,
              fileSize));
    }
    ByteBuffer lengthBuffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    channel.read(lengthBuffer, 0);
    long headerLength = lengthBuffer.getLong(0);
    if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
      throw fail(
          path,
          String.format(
              Locale.ROOT,
              "header length is %d bytes, expected between 2 and %d; the file is not a"
                  + " safetensors file or is corrupt, so "
                  + FIX,
              headerLength,
              MAX_HEADER_BYTES));
    }
    if (headerLength > fileSize - 8) {
      throw fail(
          path,
          String.format(
              Locale.ROOT,
              "header length is %d bytes but only %d bytes follow it; the file is truncated, so "
                  + FIX,
              headerLength,
              fileSize - 8));
    }
    return headerLength;
  }

  private static Map<String, TensorInfo> parseHeader(
      Path path, byte[] headerBytes, long dataSize, long dataStart, Map<String, String> metadata) {
    JsonNode root;
    try {
      root = HEADER_MAPPER.readTree(headerBytes);
    } catch (IOException e) {
      String reason = e.getMessage().split("\n", 2)[0];
      throw fail(path, "the header is not valid JSON (" + reason + "); " + FIX);
    }
    if (root == null || !root.isObject()) {
      throw fail(path, "the header must be a JSON object, found " + describe(root) + "; " + FIX);
    }
    Map<String, TensorInfo> tensors = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (entry.getKey().equals("__metadata__")) {
        entry.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      TensorInfo info = parseEntry(path, entry.getKey(), entry.getValue(), dataSize, dataStart);
      tensors.put(info.name(), info);
    }
    checkNoOverlap(path, tensors, dataStart);
    return tensors;
  }

  private static TensorInfo parseEntry(
      Path path, String name, JsonNode entry, long dataSize, long dataStart) {
    JsonNode dtypeNode = entry.get("dtype");
    JsonNode shapeNode = entry.get("shape");
    JsonNode offsetsNode = entry.get("data_offsets");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw failTensor(path, name, "\"dtype\" is missing or not a string");
    }
    DType dtype;
    try {
      dtype = DType.fromHeader(dtypeNode.asText());
    } catch (IllegalArgumentException e) {
      throw failTensor(path, name, e.getMessage() + "; " + FIX);
    }
    if (shapeNode == null || !shapeNode.isArray()) {
      throw failTensor(path, name, "\"shape\" is missing or not an array");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode dim = shapeNode.get(i);
      if (!dim.canConvertToLong() || !dim.isIntegralNumber() || dim.asLong() < 0) {
        throw failTensor(path, name, "shape entry " + i + " is " + dim + ", expected an integer >= 0");
      }
      shape[i] = dim.asLong();
    }
    if (offsetsNode == null || !offsetsNode.isArray() || offsetsNode.size() != 2
        || !offsetsNode.get(0).isIntegralNumber() || !offsetsNode.get(1).isIntegralNumber()) {
      throw failTensor(path, name, "\"data_offsets\" must be two integers [begin, end], found " + offsetsNode);
    }
    long begin = offsetsNode.get(0).asLong();
    long end = offsetsNode.get(1).asLong();
    if (begin < 0 || end < begin || end > dataSize) {
      throw failTensor(
          path,
          name,
          String.format(
              Locale.ROOT,
              "data_offsets [%d, %d] lie outside the data section of %d bytes; the file is"
                  + " truncated or corrupt, so "
                  + FIX,
              begin,
              end,
              dataSize));
    }
    long expectedBytes;
    try {
      expectedBytes = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
    } catch (ArithmeticException e) {
      throw failTensor(path, name, "shape " + shapeNode + " is too large");
    }
    if (end - begin != expectedBytes) {
      throw failTensor(
          path,
          name,
          String.format(
              Locale.ROOT,
              "data_offsets [%d, %d] hold %d bytes but shape %s x %s needs %d bytes; "
                  + FIX,
              begin,
              end,
              end - begin,
              shapeNode,
              dtype,
              expectedBytes));
    }
    return new TensorInfo(name, dtype, shape, dataStart + begin, expectedBytes, path);
  }

  private static void checkNoOverlap(Path path, Map<String, TensorInfo> tensors, long dataStart) {
    List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
    byOffset.sort(Comparator.comparingLong(TensorInfo::fileOffset));
    for (int i = 1; i < byOffset.size(); i++) {
      TensorInfo previous = byOffset.get(i - 1);
      TensorInfo current = byOffset.get(i);
      long previousEnd = previous.fileOffset() + previous.byteLength();
      if (current.byteLength() > 0 && previous.byteLength() > 0 && current.fileOffset() < previousEnd) {
        throw fail(
            path,
            String.format(
                Locale.ROOT,
                "tensors %s (bytes %d..%d) and %s (bytes %d..%d) overlap; the header is corrupt, so "
                    + FIX,
                previous.name(),
                previous.fileOffset() - dataStart,
                previousEnd - dataStart,
                current.name(),
                current.fileOffset() - dataStart,
                current.fileOffset() - dataStart + current.byteLength()));
      }
    }
  }

  /** The file this was opened from. */
  public Path path() {
    return path;
  }

  /** Every tensor in the header, by name in sorted order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The {@code __metadata__} entries of the header (empty when there are none). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Size of the file in bytes. */
  public long fileSize() {
    return fileSize;
  }

  /**
   * Copies {@code count} elements of a floating-point tensor, starting at element {@code first}
   * in row-major order, into {@code dst} as fp32.
   */
  public void readFloats(TensorInfo tensor, long first, float[] dst, int dstOffset, int count) {
    checkRange(tensor, first, count);
    DType dtype = tensor.dtype();
    if (!dtype.isFloating()) {
      throw new CheckpointException(
          String.format(
              Locale.ROOT,
              "Cannot read %s from %s as floats: its dtype is %s, expected BF16, F16 or F32",
              tensor.name(),
              path.getFileName(),
              dtype));
    }
    int size = dtype.byteSize();
    long position = tensor.fileOffset() + first * size;
    int done = 0;
    ByteBuffer chunk = ByteBuffer.allocate(Math.min(COPY_CHUNK_BYTES, count * size)).order(ByteOrder.LITTLE_ENDIAN);
    while (done < count) {
      int n = Math.min(count - done, chunk.capacity() / size);
      chunk.clear().limit(n * size);
      copyBytes(position + (long) done * size, chunk);
      chunk.flip();
      convert(dtype, chunk, dst, dstOffset + done, n);
      done += n;
    }
  }

  /** Reads a whole floating-point tensor as fp32. */
  public float[] readFloats(TensorInfo tensor) {
    long count = tensor.elementCount();
    if (count > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(
          "Cannot read " + tensor.name() + " into one array: it has " + count
              + " elements; read it in row ranges instead");
    }
    float[] out = new float[(int) count];
    readFloats(tensor, 0, out, 0, out.length);
    return out;
  }

  /** Copies the raw bytes of a tensor, starting {@code byteOffset} bytes into it, into {@code dst}. */
  public void readBytes(TensorInfo tensor, long byteOffset, ByteBuffer dst) {
    if (byteOffset < 0 || byteOffset + dst.remaining() > tensor.byteLength()) {
      throw new IndexOutOfBoundsException(
          "bytes " + byteOffset + ".." + (byteOffset + dst.remaining()) + " outside " + tensor);
    }
    copyBytes(tensor.fileOffset() + byteOffset, dst);
  }

  private void checkRange(TensorInfo tensor, long first, int count) {
    if (!tensor.file().equals(path)) {
      throw new IllegalArgumentException(tensor.name() + " belongs to " + tensor.file() + ", not " + path);
    }
    if (first < 0 || count < 0 || first + count > tensor.elementCount()) {
      throw new IndexOutOfBoundsException(
          "elements " + first + ".." + (first + count) + " outside " + tensor);
    }
  }

  private void copyBytes(long absolutePosition, ByteBuffer dst) {
    long relative = absolutePosition - dataStart;
    while (dst.hasRemaining()) {
      int window = (int) (relative >>> WINDOW_SHIFT);
      int offset = (int) (relative & (WINDOW_SIZE - 1));
      MappedByteBuffer source = windows[window];
      int n = Math.min(dst.remaining(), source.capacity() - offset);
      dst.put(dst.position(), source, offset, n);
      dst.position(dst.position() + n);
      relative += n;
    }
  }

  private static void convert(DType dtype, ByteBuffer src, float[] dst, int offset, int count) {
    switch (dtype) {
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = Floats.bf16ToFloat(src.getShort(i * 2));
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = Floats.f16ToFloat(src.getShort(i * 2));
        }
      }
      case F32 -> src.asFloatBuffer().get(dst, offset, count);
      case F64 -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = (float) src.getDouble(i * 8);
        }
      }
      default -> throw new IllegalStateException("not a float dtype: " + dtype);
    }
  }

  private static String describe(JsonNode node) {
    return node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  private static CheckpointException fail(Path path, String reason) {
    return new CheckpointException("Cannot read " + path + ": " + reason);
  }

  private static CheckpointException failTensor(Path path, String tensor, String reason) {
    return new CheckpointException("Cannot read " + tensor + " from " + path + ": " + reason);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
