package io.bitsweep.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Writes one safetensors file the way MLX does: compact JSON header with keys sorted bytewise,
 * tensors stored contiguously in name order from offset 0, no padding. Tensor bytes can be given
 * directly or produced lazily when the file is written, so a large shard need not sit in memory.
 */
public final class SafetensorsWriter {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private record Entry(DType dtype, long[] shape, long byteLength, Supplier<ByteBuffer> bytes) {}

  private final Map<String, String> metadata;
  private final Map<String, Entry> entries = new TreeMap<>();

  /** Creates a writer whose header carries {@code metadata} as {@code __metadata__}. */
  public SafetensorsWriter(Map<String, String> metadata) {
    this.metadata = new TreeMap<>(metadata);
  }

  /** Adds a tensor whose little-endian bytes are already in memory. */
  public void add(String name, DType dtype, long[] shape, ByteBuffer bytes) {
    ByteBuffer copy = bytes.duplicate();
    addLazy(name, dtype, shape, copy.remaining(), () -> copy.duplicate());
  }

  /** Adds an fp32 tensor stored as the given dtype (BF16, F16 or F32). */
  public void addFloats(String name, DType dtype, long[] shape, float[] values) {
    add(name, dtype, shape, Encoding.encodeFloats(dtype, values));
  }

  /**
   * Adds a tensor whose bytes are produced by {@code bytes} while the file is written. The buffer
   * it returns must hold exactly {@code byteLength} bytes.
   */
  public void addLazy(String name, DType dtype, long[] shape, long byteLength, Supplier<ByteBuffer> bytes) {
    long expected = TensorInfo.elementCount(shape) * dtype.byteSize();
    if (expected != byteLength) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot add %s: shape %s x %s needs %d bytes, given %d",
              name,
              java.util.Arrays.toString(shape),
              dtype,
              expected,
              byteLength));
    }
    if (entries.put(name, new Entry(dtype, shape.clone(), byteLength, bytes)) != null) {
      throw new IllegalArgumentException("Cannot add " + name + " twice to one safetensors file");
    }
  }

  /** Bytes of tensor data (without the header) added so far. */
  public long dataBytes() {
    return entries.values().stream().mapToLong(Entry::byteLength).sum();
  }

  /** Total size of the file {@link #write} will produce. */
  public long fileBytes() {
    return 8 + header().length + dataBytes();
  }

  /** Number of tensors added. */
  public int size() {
    return entries.size();
  }

  private byte[] header() {
    ObjectNode root = MAPPER.createObjectNode();
    // TreeMap order over plain ASCII names equals the bytewise order of MLX's std::map.
    Map<String, Object> sorted = new TreeMap<>();
    if (!metadata.isEmpty()) {
      sorted.put("__metadata__", metadata);
    }
    sorted.putAll(entries);
    long offset = 0;
    for (Map.Entry<String, Object> item : sorted.entrySet()) {
      if (item.getValue() instanceof Entry entry) {
        ObjectNode node = root.putObject(item.getKey());
        ArrayNode offsets = node.putArray("data_offsets");
        offsets.add(offset).add(offset + entry.byteLength());
        node.put("dtype", entry.dtype().headerName());
        ArrayNode shape = node.putArray("shape");
        for (long dim : entry.shape()) {
          shape.add(dim);
        }
        offset += entry.byteLength();
      } else {
        ObjectNode meta = root.putObject("__metadata__");
        metadata.forEach(meta::put);
      }
    }
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Writes the file, replacing any file at {@code path}. */
  public void write(Path path) throws IOException {
    byte[] header = header();
    try (FileChannel out =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      length.putLong(0, header.length);
      writeFully(out, length);
      writeFully(out, ByteBuffer.wrap(header));
      for (Map.Entry<String, Entry> item : entries.entrySet()) {
        ByteBuffer bytes = item.getValue().bytes().get();
        if (bytes.remaining() != item.getValue().byteLength()) {
          throw new IllegalStateException(
              String.format(
                  Locale.ROOT,
                  "Cannot write %s to %s: its producer returned %d bytes, expected %d",
                  item.getKey(),
                  path,
                  bytes.remaining(),
                  item.getValue().byteLength()));
        }
        writeFully(out, bytes);
      }
    }
  }

  private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
  }
}
