package io.bitsweep.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The tensors of a Hugging Face checkpoint folder: either one {@code model.safetensors} or shards
 * listed by {@code model.safetensors.index.json}. Every file is memory-mapped and validated when
 * the folder is opened, and every index entry must name a file inside the folder that is not a
 * symbolic link to a file elsewhere ({@link ModelFolder}).
 */
public final class Checkpoint implements AutoCloseable {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Path directory;
  private final List<SafetensorsFile> files;
  private final Map<String, TensorInfo> tensors;
  private final Map<Path, SafetensorsFile> fileByPath;

  private Checkpoint(Path directory, List<SafetensorsFile> files) {
    this.directory = directory;
    this.files = List.copyOf(files);
    Map<String, TensorInfo> all = new TreeMap<>();
    Map<Path, SafetensorsFile> byPath = new LinkedHashMap<>();
    for (SafetensorsFile file : files) {
      byPath.put(file.path(), file);
      for (TensorInfo info : file.tensors().values()) {
        TensorInfo previous = all.put(info.name(), info);
        if (previous != null) {
          closeAll(files);
          throw new CheckpointException(
              String.format(
                  Locale.ROOT,
                  "Cannot open checkpoint %s: tensor %s is stored twice, in %s and %s; remove one copy",
                  directory,
                  info.name(),
                  previous.file().getFileName(),
                  info.file().getFileName()));
        }
      }
    }
    this.tensors = Collections.unmodifiableMap(all);
    this.fileByPath = byPath;
  }

  /**
   * Opens a checkpoint folder.
   *
   * @throws CheckpointException if the folder has neither a single file nor an index, if the index
   *     names a file outside the folder or a missing shard, or if any file is invalid
   */
  public static Checkpoint open(Path directory) {
    Path dir = directory.toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException(
          "Cannot open checkpoint " + directory + ": it is not a folder; pass the folder that"
              + " holds config.json and the safetensors files");
    }
    List<Path> paths = shardPaths(dir);
    List<SafetensorsFile> opened = new ArrayList<>();
    try {
      for (Path path : paths) {
        opened.add(SafetensorsFile.open(path));
      }
    } catch (RuntimeException e) {
      closeAll(opened);
      throw e;
    }
    return new Checkpoint(dir, opened);
  }

  private static List<Path> shardPaths(Path dir) {
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return shardsFromIndex(dir, index);
    }
    Path single = dir.resolve(SINGLE_FILE);
    if (Files.isRegularFile(single)) {
      ModelFolder.requireInside(dir, single);
      return List.of(single);
    }
    throw new CheckpointException(
        "Cannot open checkpoint " + dir + ": found neither " + SINGLE_FILE + " nor " + INDEX_FILE
            + "; pass a Hugging Face model folder");
  }

  private static List<Path> shardsFromIndex(Path dir, Path index) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(index.toFile());
    } catch (IOException e) {
      throw new CheckpointException(
          "Cannot read " + index + ": it is not valid JSON (" + e.getMessage().split("\n", 2)[0] + ")", e);
    }
    JsonNode weightMap = root == null ? null : root.get("weight_map");
    if (weightMap == null || !weightMap.isObject()) {
      throw new CheckpointException(
          "Cannot read " + index + ": field \"weight_map\" is missing or not an object");
    }
    Set<Path> shards = new java.util.LinkedHashSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String fileName = entry.getValue().asText();
      Path shard = dir.resolve(fileName).normalize();
      if (!entry.getValue().isTextual() || fileName.isEmpty() || !shard.getParent().equals(dir)) {
        throw new CheckpointException(
            String.format(
                Locale.ROOT,
                "Cannot read %s: tensor %s maps to \"%s\", expected a file name inside %s;"
                    + " index entries may not point outside the model folder",
                index,
                entry.getKey(),
                fileName,
                dir));
      }
      if (!Files.isRegularFile(shard)) {
        throw new CheckpointException(
            String.format(
                Locale.ROOT,
                "Cannot read %s: tensor %s maps to shard %s, which is missing; download the"
                    + " complete checkpoint",
                index,
                entry.getKey(),
                fileName));
      }
      if (shards.add(shard)) {
        ModelFolder.requireInside(dir, shard);
      }
    }
    return new ArrayList<>(shards);
  }

  /** The absolute folder the checkpoint was opened from. */
  public Path directory() {
    return directory;
  }

  /** Every tensor of every file, by name in sorted order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The safetensors files, in the order they were opened. */
  public List<SafetensorsFile> files() {
    return files;
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /**
   * Returns a tensor's header entry.
   *
   * @throws CheckpointException naming the tensor and the folder when it is absent
   */
  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new CheckpointException(
          "Cannot find tensor " + name + " in checkpoint " + directory
              + "; the config expects it, so the checkpoint is incomplete or for another model");
    }
    return info;
  }

  /** Reads a whole floating-point tensor as fp32. */
  public float[] readFloats(String name) {
    TensorInfo info = info(name);
    return fileByPath.get(info.file()).readFloats(info);
  }

  /** Copies {@code count} elements of a tensor, from element {@code first}, into {@code dst}. */
  public void readFloats(String name, long first, float[] dst, int dstOffset, int count) {
    TensorInfo info = info(name);
    fileByPath.get(info.file()).readFloats(info, first, dst, dstOffset, count);
  }

  /** Copies raw bytes of a tensor, starting {@code byteOffset} bytes into it. */
  public void readBytes(String name, long byteOffset, java.nio.ByteBuffer dst) {
    TensorInfo info = info(name);
    fileByPath.get(info.file()).readBytes(info, byteOffset, dst);
  }

  /** Reads {@code config.json} of the folder. */
  public JsonNode configJson() {
    return readConfigJson(directory);
  }

  /** Reads and parses {@code config.json} of a model folder, with a clear error when absent. */
  public static JsonNode readConfigJson(Path directory) {
    Path config = directory.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      throw new CheckpointException(
          "Cannot open model " + directory + ": config.json is missing; pass a Hugging Face model folder");
    }
    try {
      return new ObjectMapper().readTree(config.toFile());
    } catch (IOException e) {
      throw new CheckpointException(
          "Cannot read " + config + ": it is not valid JSON (" + e.getMessage().split("\n", 2)[0] + ")", e);
    }
  }

  /**
   * Computes a SHA-256 over the names and bytes of {@code config.json}, the tokenizer files and
   * every safetensors file. Tables store it so that a reference built from one model is never
   * compared with a sweep of another.
   */
  public String contentHash() {
    return contentHash(directory);
  }

  /** Content hash of a model folder; see {@link #contentHash()}. */
  public static String contentHash(Path directory) {
    try (Stream<Path> listing = Files.list(directory)) {
      List<Path> hashed =
          listing
              .filter(Files::isRegularFile)
              .filter(p -> isHashed(p.getFileName().toString()))
              .sorted()
              .toList();
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 20];
      for (Path file : hashed) {
        digest.update(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update((byte) 0);
        try (InputStream in = Files.newInputStream(file)) {
          for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
          }
        }
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new CheckpointException("Cannot hash model folder " + directory + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }

  private static boolean isHashed(String name) {
    return name.endsWith(".safetensors")
        || name.equals("config.json")
        || name.equals("tokenizer.json")
        || name.equals("tokenizer_config.json")
        || name.equals("chat_template.jinja");
  }

  private static void closeAll(List<SafetensorsFile> files) {
    for (SafetensorsFile file : files) {
      file.close();
    }
  }

  @Override
  public void close() {
    closeAll(files);
  }
}
