package io.bitsweep.jobs;

import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a model folder from any Hadoop file system ({@code s3a://}, {@code hdfs://}, {@code
 * file://}) to local disk once per machine, so that the engine can memory-map it.
 *
 * <p>Copies live in a cache folder ({@link #cacheRoot()}) under the model id, {@code
 * <name>@<hash16>}, each with a manifest of its files, sizes and content hash. A copy is made in a
 * temporary folder, checked (every file's size against the remote listing, the content hash against
 * the expected one) and then renamed into place, so no reader sees a half-copied model. One lock
 * file per cache folder serializes the JVMs of a machine (the executors of several applications, or
 * a driver and its executors), and a lock per JVM serializes its tasks. So a model is downloaded
 * once per machine however many tasks request it at once. Later tasks and jobs reuse the copy after
 * checking its file sizes against the manifest.
 *
 * <p>NOTE: only the files directly in the model folder are copied; subfolders (such as a
 * checkpoint's {@code original/}) are not needed by the engine and are skipped.
 */
public final class ModelStaging {
  private static final Logger LOG = LoggerFactory.getLogger(ModelStaging.class);

  /** Spark property naming the cache folder; by default {@code bitsweep-models} in a local dir. */
  public static final String CACHE_DIR_PROPERTY = "spark.bitsweep.model.cacheDir";

  static final String MANIFEST = ".bitsweep-staged.properties";
  private static final String LOCK_FILE = ".lock";
  private static final String TEMP_PREFIX = ".tmp-";
  private static final String SOURCES = ".sources";
  private static final int HASH_PREFIX = 16;

  private static final ReentrantLock JVM_LOCK = new ReentrantLock();
  private static final Map<String, Path> STAGED_IN_JVM = new ConcurrentHashMap<>();

  private ModelStaging() {}

  /**
   * A model copied to local disk.
   *
   * @param directory the local folder
   * @param name the model's name (the remote folder's last path segment)
   * @param contentHash the SHA-256 content hash, as {@link Checkpoint#contentHash(Path)} computes
   * @param fileSizes each staged file's size in bytes, by file name
   * @param downloaded whether this call copied the files (false when it reused a staged copy)
   */
  public record Staged(
      Path directory,
      String name,
      String contentHash,
      SortedMap<String, Long> fileSizes,
      boolean downloaded) {
    public Staged {
      fileSizes = Collections.unmodifiableSortedMap(new TreeMap<>(fileSizes));
    }

    /** Returns the model id, {@code <name>@<first 16 hex digits of the content hash>}. */
    public String modelId() {
      return name + "@" + contentHash.substring(0, HASH_PREFIX);
    }
  }

  /** Returns the cache folder of this JVM, from the running Spark's configuration if any. */
  public static Path cacheRoot() {
    return cacheRoot(HadoopConfs.currentSparkConf());
  }

  /**
   * Returns the cache folder: the Spark property {@value #CACHE_DIR_PROPERTY} if set, else {@code
   * bitsweep-models} under the first of Spark's local dirs ({@code SPARK_LOCAL_DIRS}, then {@code
   * spark.local.dir}), else under {@code java.io.tmpdir}.
   */
  public static Path cacheRoot(SparkConf sparkConf) {
    String configured = sparkConf.get(CACHE_DIR_PROPERTY, null);
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath();
    }
    String localDirs = System.getenv("SPARK_LOCAL_DIRS");
    if (localDirs == null || localDirs.isBlank()) {
      localDirs = sparkConf.get("spark.local.dir", null);
    }
    if (localDirs == null || localDirs.isBlank()) {
      localDirs = System.getProperty("java.io.tmpdir");
    }
    return Path.of(localDirs.split(",")[0].strip()).toAbsolutePath().resolve("bitsweep-models");
  }

  /**
   * Stages a model whose content hash is not known yet, as the driver does when it resolves a
   * model: reuses the copy made from the same remote files (same names, sizes and modification
   * times), else downloads and hashes them.
   */
  public static Staged stage(String uri, Configuration conf, Path cacheRoot) {
    return stage(uri, null, null, conf, cacheRoot);
  }

  /**
   * Stages the model {@code ref} on this machine, or reuses the copy already here, and returns its
   * local folder.
   */
  public static Path localCopy(ModelRef ref) {
    Path known = STAGED_IN_JVM.get(ref.modelId());
    if (known != null && Files.isRegularFile(known.resolve(MANIFEST))) {
      return known;
    }
    Staged staged =
        stage(
            ref.location(),
            ref.contentHash(),
            ref.remoteFiles(),
            HadoopConfs.current(),
            cacheRoot());
    return staged.directory();
  }

  /**
   * Stages the model at {@code uri} into {@code cacheRoot}.
   *
   * @param expectedHash the content hash the copy must have, or null to accept any (driver)
   * @param expectedSizes the file sizes the driver saw, or null. A remote folder that no longer
   *     matches them fails, because executors must not run a model other than the driver's.
   * @throws IllegalArgumentException when the remote folder is missing, empty or changed
   * @throws IllegalStateException when the copy does not have the expected content hash
   * @throws UncheckedIOException when reading, copying or locking fails
   */
  static Staged stage(
      String uri,
      String expectedHash,
      Map<String, Long> expectedSizes,
      Configuration conf,
      Path cacheRoot) {
    if (expectedHash != null) {
      Staged reused =
          reuse(cacheRoot.resolve(directoryName(nameOf(uri), expectedHash)), expectedHash, null);
      if (reused != null) {
        return remember(reused);
      }
    }
    try {
      Files.createDirectories(cacheRoot);
      JVM_LOCK.lock();
      try (FileChannel channel =
              FileChannel.open(
                  cacheRoot.resolve(LOCK_FILE),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock ignored = channel.lock()) {
        return remember(stageLocked(uri, expectedHash, expectedSizes, conf, cacheRoot));
      } finally {
        JVM_LOCK.unlock();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot stage model " + uri + " into " + cacheRoot + ": " + e.getMessage(), e);
    }
  }

  private static Staged remember(Staged staged) {
    STAGED_IN_JVM.put(staged.modelId(), staged.directory());
    return staged;
  }

  /** Runs with the machine-wide lock held, so no other JVM stages into the cache meanwhile. */
  private static Staged stageLocked(
      String uri,
      String expectedHash,
      Map<String, Long> expectedSizes,
      Configuration conf,
      Path cacheRoot)
      throws IOException {
    deleteLeftoverTemporaries(cacheRoot);
    Listing listing = Listing.of(uri, conf);
    if (expectedSizes != null && !expectedSizes.isEmpty()) {
      listing.checkSizes(expectedSizes);
    }
    Path bySource = cacheRoot.resolve(SOURCES).resolve(listing.fingerprint());
    if (expectedHash != null) {
      Staged reused =
          reuse(cacheRoot.resolve(directoryName(listing.name(), expectedHash)), expectedHash, null);
      if (reused != null) {
        return reused;
      }
    } else if (Files.isRegularFile(bySource)) {
      Path staged = cacheRoot.resolve(Files.readString(bySource).strip());
      Staged reused = reuse(staged, null, listing.sizes());
      if (reused != null) {
        return reused;
      }
    }
    Path temporary = cacheRoot.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      long start = System.nanoTime();
      download(listing, temporary, conf);
      String hash = Checkpoint.contentHash(temporary);
      if (expectedHash != null && !hash.equals(expectedHash)) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "Model %s has content hash %s, but the driver resolved it with hash %s; the model"
                    + " changed while the job ran, so rerun the job",
                uri,
                hash,
                expectedHash));
      }
      Staged staged =
          new Staged(
              cacheRoot.resolve(directoryName(listing.name(), hash)),
              listing.name(),
              hash,
              listing.sizes(),
              true);
      writeManifest(temporary, uri, staged);
      publish(temporary, staged.directory());
      Files.createDirectories(bySource.getParent());
      Files.writeString(bySource, staged.directory().getFileName() + "\n");
      Progress.LOG.info(
          "staging: copied {} ({} files, {} MiB) to {} in {}",
          uri,
          listing.sizes().size(),
          listing.totalBytes() >> 20,
          staged.directory(),
          Progress.format((System.nanoTime() - start) / 1e9));
      return staged;
    } finally {
      deleteRecursively(temporary);
    }
  }

  /**
   * Returns the staged copy in {@code directory} if its manifest matches (the expected hash, the
   * expected sizes) and every file has its recorded size, else null.
   */
  private static Staged reuse(
      Path directory, String expectedHash, Map<String, Long> expectedSizes) {
    Path manifestFile = directory.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      return null;
    }
    Properties manifest = new Properties();
    try (Reader reader = Files.newBufferedReader(manifestFile, StandardCharsets.UTF_8)) {
      manifest.load(reader);
    } catch (IOException e) {
      LOG.warn("Cannot read {}; staging the model again: {}", manifestFile, e.toString());
      return null;
    }
    String hash = manifest.getProperty("content.hash", "");
    if (expectedHash != null && !hash.equals(expectedHash)) {
      return null;
    }
    SortedMap<String, Long> sizes = new TreeMap<>();
    for (String key : manifest.stringPropertyNames()) {
      if (key.startsWith("file.")) {
        sizes.put(key.substring("file.".length()), Long.parseLong(manifest.getProperty(key)));
      }
    }
    if (sizes.isEmpty() || (expectedSizes != null && !expectedSizes.equals(sizes))) {
      return null;
    }
    for (Map.Entry<String, Long> file : sizes.entrySet()) {
      Path path = directory.resolve(file.getKey());
      try {
        if (!Files.isRegularFile(path) || Files.size(path) != file.getValue()) {
          LOG.warn(
              "Staged model {} is damaged: {} is missing or not {} bytes; staging it again",
              directory,
              path,
              file.getValue());
          return null;
        }
      } catch (IOException e) {
        return null;
      }
    }
    return new Staged(directory, manifest.getProperty("name"), hash, sizes, false);
  }

  private static void download(Listing listing, Path temporary, Configuration conf)
      throws IOException {
    Files.createDirectories(temporary);
    FileSystem fs = listing.fileSystem(conf);
    byte[] buffer = new byte[1 << 20];
    for (Map.Entry<String, FileStatus> file : listing.files().entrySet()) {
      FileStatus status = file.getValue();
      Path target = temporary.resolve(file.getKey());
      long copied = 0;
      try (InputStream in = open(fs, status);
          var out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
        for (int n; (n = in.read(buffer)) > 0; ) {
          out.write(buffer, 0, n);
          copied += n;
        }
      }
      if (copied != status.getLen()) {
        throw new IOException(
            String.format(
                Locale.ROOT,
                "copied %d bytes of %s, expected %d",
                copied,
                status.getPath(),
                status.getLen()));
      }
    }
  }

  /** Opens a file for one sequential read, which S3A serves with a single GET. */
  private static InputStream open(FileSystem fs, FileStatus status) throws IOException {
    try {
      return fs.openFile(status.getPath())
          .withFileStatus(status)
          .opt("fs.option.openfile.read.policy", "whole-file")
          .build()
          .get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while opening " + status.getPath(), e);
    }
  }

  private static void writeManifest(Path directory, String uri, Staged staged) throws IOException {
    Properties manifest = new Properties();
    manifest.setProperty("source", uri);
    manifest.setProperty("name", staged.name());
    manifest.setProperty("content.hash", staged.contentHash());
    staged
        .fileSizes()
        .forEach((name, size) -> manifest.setProperty("file." + name, Long.toString(size)));
    try (Writer writer =
        Files.newBufferedWriter(directory.resolve(MANIFEST), StandardCharsets.UTF_8)) {
      manifest.store(writer, "Model staged by bitsweep; delete this folder to stage it again");
    }
  }

  /** Renames the checked copy into place, replacing a damaged copy of the same model. */
  private static void publish(Path temporary, Path target) throws IOException {
    if (Files.exists(target)) {
      deleteRecursively(target);
    }
    try {
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, target);
    }
  }

  private static void deleteLeftoverTemporaries(Path cacheRoot) throws IOException {
    // Every staging holds the lock, so a temporary folder seen under the lock belongs to a JVM
    // that died while copying.
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(cacheRoot, TEMP_PREFIX + "*")) {
      for (Path entry : entries) {
        LOG.info("Deleting {}, left by an interrupted staging", entry);
        deleteRecursively(entry);
      }
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      for (Path p : walk.sorted(Collections.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static String directoryName(String name, String hash) {
    return name + "@" + hash.substring(0, HASH_PREFIX);
  }

  /** Returns the model's name: its location's last path segment, unusual characters replaced. */
  static String nameOf(String uri) {
    String trimmed = uri.replaceAll("/+$", "");
    String last = trimmed.substring(trimmed.lastIndexOf('/') + 1);
    return last.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** The regular files directly in a remote model folder, by name. */
  record Listing(String uri, String name, SortedMap<String, FileStatus> files) {
    static Listing of(String uri, Configuration conf) throws IOException {
      org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(uri);
      FileSystem fs = folder.getFileSystem(conf);
      if (!fs.exists(folder) || !fs.getFileStatus(folder).isDirectory()) {
        throw new IllegalArgumentException(
            "Model folder "
                + uri
                + " does not exist or is not a folder; pass --model with a"
                + " Hugging Face model folder");
      }
      SortedMap<String, FileStatus> files = new TreeMap<>();
      for (FileStatus status : fs.listStatus(folder)) {
        if (status.isFile()) {
          files.put(status.getPath().getName(), status);
        } else {
          LOG.debug("Not staging subfolder {}", status.getPath());
        }
      }
      if (!files.containsKey("config.json")) {
        throw new IllegalArgumentException(
            "Model folder "
                + uri
                + " has no config.json; pass --model with a Hugging Face model folder");
      }
      return new Listing(uri, nameOf(uri), files);
    }

    FileSystem fileSystem(Configuration conf) throws IOException {
      return new org.apache.hadoop.fs.Path(uri).getFileSystem(conf);
    }

    SortedMap<String, Long> sizes() {
      SortedMap<String, Long> sizes = new TreeMap<>();
      files.forEach((name, status) -> sizes.put(name, status.getLen()));
      return sizes;
    }

    long totalBytes() {
      return files.values().stream().mapToLong(FileStatus::getLen).sum();
    }

    void checkSizes(Map<String, Long> expected) {
      if (!expected.equals(sizes())) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Model folder %s changed since the driver resolved it: expected files %s, found %s;"
                    + " rerun the job",
                uri,
                expected,
                sizes()));
      }
    }

    /** Hash of the location and every file's name, size and modification time. */
    String fingerprint() {
      StringBuilder text = new StringBuilder(uri).append('\n');
      files.forEach(
          (name, status) ->
              text.append(name)
                  .append('\t')
                  .append(status.getLen())
                  .append('\t')
                  .append(status.getModificationTime())
                  .append('\n'));
      try {
        byte[] digest =
            MessageDigest.getInstance("SHA-256")
                .digest(text.toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required by every JDK", e);
      }
    }
  }
}
