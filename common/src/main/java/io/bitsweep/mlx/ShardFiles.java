package io.bitsweep.mlx;

import io.bitsweep.mlx.ShardPlan.Location;
import io.bitsweep.mlx.ShardPlan.Shard;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The open shard files of a {@link ShardPlan} while they are written. Headers go first. Tensor data
 * is then written piece by piece at its final position, so a tensor never has to sit in memory
 * whole, and the packed words, scales and biases of one quantized weight can be produced together.
 * {@link #finish} checks that every byte of every tensor was written.
 */
final class ShardFiles implements AutoCloseable {
  private final Path directory;
  private final ShardPlan plan;
  private final FileChannel[] channels;
  private final long[] dataStarts;
  private final Map<String, Long> writtenBytes = new HashMap<>();

  private ShardFiles(Path directory, ShardPlan plan) {
    this.directory = directory;
    this.plan = plan;
    this.channels = new FileChannel[plan.shards().size()];
    this.dataStarts = new long[channels.length];
  }

  /** Creates every shard file in {@code directory} and writes its header. */
  static ShardFiles create(Path directory, ShardPlan plan) throws IOException {
    ShardFiles files = new ShardFiles(directory, plan);
    try {
      files.openAll();
    } catch (IOException | RuntimeException e) {
      files.close();
      throw e;
    }
    return files;
  }

  private void openAll() throws IOException {
    for (int i = 0; i < channels.length; i++) {
      Shard shard = plan.shards().get(i);
      channels[i] =
          FileChannel.open(
              directory.resolve(shard.fileName()),
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE);
      byte[] header = shard.header();
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      length.putLong(0, header.length);
      writeAt(channels[i], length, 0);
      writeAt(channels[i], ByteBuffer.wrap(header), 8);
      dataStarts[i] = 8L + header.length;
    }
  }

  /** Writes {@code bytes} into tensor {@code tensorName}, starting {@code byteOffset} bytes in. */
  void write(String tensorName, long byteOffset, ByteBuffer bytes) throws IOException {
    Location location = plan.location(tensorName);
    long length = location.tensor().byteLength();
    int count = bytes.remaining();
    if (byteOffset < 0 || byteOffset + count > length) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Cannot write bytes %d..%d of %s: it has %d bytes",
              byteOffset,
              byteOffset + count,
              tensorName,
              length));
    }
    int shard = location.shard();
    writeAt(channels[shard], bytes, dataStarts[shard] + location.dataOffset() + byteOffset);
    writtenBytes.merge(tensorName, (long) count, Long::sum);
  }

  /**
   * Checks that every tensor was written in full, flushes the files to the storage device and
   * closes them.
   *
   * @throws IllegalStateException naming a tensor whose byte count differs from its size
   */
  void finish() throws IOException {
    for (Shard shard : plan.shards()) {
      for (Location location : shard.tensors()) {
        String name = location.tensor().name();
        long written = writtenBytes.getOrDefault(name, 0L);
        if (written != location.tensor().byteLength()) {
          throw new IllegalStateException(
              String.format(
                  Locale.ROOT,
                  "Tensor %s of %s received %d bytes, expected %d",
                  name,
                  shard.fileName(),
                  written,
                  location.tensor().byteLength()));
        }
      }
    }
    for (FileChannel channel : channels) {
      channel.force(true);
    }
    close();
  }

  private static void writeAt(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      at += channel.write(buffer, at);
    }
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (int i = 0; i < channels.length; i++) {
      if (channels[i] == null) {
        continue;
      }
      try {
        channels[i].close();
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      }
      channels[i] = null;
    }
    if (failure != null) {
      throw failure;
    }
  }
}
