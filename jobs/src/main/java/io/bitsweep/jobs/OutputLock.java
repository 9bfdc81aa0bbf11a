package io.bitsweep.jobs;

import io.bitsweep.FileErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on a local output folder, held while one command writes its tables. A rerun
 * deletes the uncommitted output and staging folders it finds, which would break a command that
 * is still writing them, so a second command on the same folder must fail instead. The lock is an
 * operating-system file lock on {@value #FILE_NAME}, so it is released when the holding process
 * dies, even by SIGKILL, and a rerun after a killed driver is not blocked. The file stays behind
 * and contains a description of the last holder.
 *
 * <p>NOTE: folders on object stores ({@code s3a://}) get no lock, because they offer no lock that
 * is released when its holder dies; there only one command may write a folder at a time.
 */
public final class OutputLock implements AutoCloseable {
  /** Name of the lock file in the output folder; the leading dot keeps Spark from reading it. */
  public static final String FILE_NAME = ".bitsweep.lock";

  private static final OutputLock NONE = new OutputLock(null, null, null);

  /**
   * Lock files that this JVM has locked. A second channel on such a file is never opened, because
   * on Linux closing any channel of a file releases every lock the process has on it.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private OutputLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks the output folder {@code out} for {@code command}, creating the folder if needed, or
   * returns a lock that does nothing when {@code out} is a remote URI.
   *
   * @throws IllegalStateException when another process, or another command of this JVM, has
   *     the lock
   */
  public static OutputLock acquire(String out, String command) {
    if (ModelRef.isRemote(out)) {
      return NONE;
    }
    Path folder = Path.of(out);
    Path file;
    try {
      Files.createDirectories(folder);
      file = folder.toRealPath().resolve(FILE_NAME);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create output folder " + out + ": " + FileErrors.describe(e), e);
    }
    if (!HELD.add(file)) {
      // Reading the file here would open and close a second descriptor, releasing the lock.
      throw held(out, "a command of this process");
    }
    FileChannel channel = null;
    OutputLock acquired = null;
    try {
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock = tryLock(channel);
      if (lock == null) {
        throw held(out, holderOf(file));
      }
      String holder =
          command
              + ", process "
              + ManagementFactory.getRuntimeMXBean().getName()
              + ", since "
              + Instant.now()
              + "\n";
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)), 0);
      acquired = new OutputLock(file, channel, lock);
      return acquired;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot lock output folder " + out + " (" + file + "): " + FileErrors.describe(e), e);
    } finally {
      if (acquired == null) {
        closeQuietly(channel);
        HELD.remove(file);
      }
    }
  }

  /** Returns the description that the holder of another process wrote into the lock file. */
  private static String holderOf(Path file) {
    try {
      String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
      return holder.isEmpty() ? "holder unknown" : holder;
    } catch (IOException e) {
      return "holder unknown";
    }
  }

  /** Returns the error for a folder that another command has locked. */
  private static IllegalStateException held(String out, String holder) {
    return new IllegalStateException(
        "Cannot write to "
            + out
            + ": another bitsweep command is using this folder ("
            + holder
            + "); wait for it to finish, or pass another --out");
  }

  /** Returns the lock, or null when another holder has it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException heldByThisJvm) {
      return null;
    }
  }

  /** Closes a channel whose lock attempt failed; that failure is the error worth reporting. */
  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // The exception already propagating names the folder and the cause.
    }
  }

  /** Releases the lock; the lock file stays. */
  @Override
  public void close() {
    if (channel == null) {
      return;
    }
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot release the output folder lock " + file, e);
    } finally {
      HELD.remove(file);
    }
  }
}
