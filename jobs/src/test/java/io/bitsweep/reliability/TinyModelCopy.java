package io.bitsweep.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import io.bitsweep.safetensors.SafetensorsFile;
import io.bitsweep.safetensors.SafetensorsWriter;
import io.bitsweep.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Copies of the tiny Qwen3.5 model in a test's temporary folder, with one thing broken. The shared
 * model is only read; every edit happens on the copy.
 */
final class TinyModelCopy {
  static final String SHARD_1 = "model-00001-of-00002.safetensors";
  static final String SHARD_2 = "model-00002-of-00002.safetensors";
  static final String INDEX = "model.safetensors.index.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private TinyModelCopy() {}

  /** Returns the shared tiny model. */
  static Path source() {
    return SharedModels.require(SharedModels.QWEN35_TINY);
  }

  /**
   * Copies the files of the tiny model (weights, config, tokenizer) into {@code parent}, in a folder
   * of the same name, so an unchanged copy has the same model id as the original.
   */
  static Path copy(Path parent) {
    Path target = parent.resolve(SharedModels.QWEN35_TINY);
    try (Stream<Path> files = Files.list(source())) {
      Files.createDirectories(target);
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.copy(file, target.resolve(file.getFileName()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }

  /** Rewrites the JSON header of a shard, keeping its data bytes. */
  static void editHeader(Path model, String shard, Consumer<ObjectNode> edit) {
    Path file = model.resolve(shard);
    byte[] bytes = read(file);
    int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    try {
      ObjectNode header = (ObjectNode) JSON.readTree(Arrays.copyOfRange(bytes, 8, 8 + headerLength));
      edit.accept(header);
      byte[] data = Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length);
      writeRaw(file, JSON.writeValueAsBytes(header), data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces the header of a shard with {@code header}, keeping its data bytes. */
  static void replaceHeader(Path model, String shard, String header) {
    Path file = model.resolve(shard);
    byte[] bytes = read(file);
    int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    byte[] data = Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length);
    writeRaw(file, header.getBytes(StandardCharsets.UTF_8), data);
  }

  /** Overwrites the 8-byte header length of a shard. */
  static void setHeaderLength(Path model, String shard, long length) {
    Path file = model.resolve(shard);
    byte[] bytes = read(file);
    ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
    write(file, bytes);
  }

  /** Cuts a shard down to its first {@code length} bytes. */
  static void truncate(Path model, String shard, long length) {
    Path file = model.resolve(shard);
    write(file, Arrays.copyOf(read(file), (int) length));
  }

  /** Returns the tensor's entry in the copy's header. */
  static TensorInfo info(Path model, String shard, String tensor) {
    try (SafetensorsFile file = SafetensorsFile.open(model.resolve(shard))) {
      return file.tensors().get(tensor);
    }
  }

  /**
   * Rewrites a shard with {@link SafetensorsWriter}, passing each tensor through {@code edit},
   * which returns the tensor to write or null to leave it out.
   */
  static void rewriteShard(Path model, String shard, UnaryOperator<StoredTensor> edit) {
    Path file = model.resolve(shard);
    SafetensorsWriter writer;
    try (SafetensorsFile original = SafetensorsFile.open(file)) {
      writer = new SafetensorsWriter(original.metadata());
      for (TensorInfo info : original.tensors().values()) {
        ByteBuffer bytes = ByteBuffer.allocate((int) info.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
        original.readBytes(info, 0, bytes);
        bytes.flip();
        StoredTensor edited = edit.apply(new StoredTensor(info, info.shape(), bytes));
        if (edited != null) {
          writer.add(info.name(), info.dtype(), edited.shape(), edited.bytes());
        }
      }
    }
    try {
      writer.write(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * One tensor while a shard is rewritten.
   *
   * @param info the original header entry
   * @param shape the shape to write
   * @param bytes the little-endian values to write
   */
  record StoredTensor(TensorInfo info, long[] shape, ByteBuffer bytes) {}

  /** Edits config.json of the copy. */
  static void editConfig(Path model, Consumer<ObjectNode> edit) {
    editJson(model.resolve("config.json"), edit);
  }

  /** Edits the index of the copy. */
  static void editIndex(Path model, Consumer<ObjectNode> edit) {
    editJson(model.resolve(INDEX), edit);
  }

  /** Returns the {@code text_config} object of a config.json tree. */
  static ObjectNode textConfig(ObjectNode config) {
    return (ObjectNode) config.get("text_config");
  }

  /** Returns the {@code weight_map} object of an index tree. */
  static ObjectNode weightMap(ObjectNode index) {
    return (ObjectNode) index.get("weight_map");
  }

  private static void editJson(Path file, Consumer<ObjectNode> edit) {
    try {
      ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
      edit.accept(root);
      JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeRaw(Path file, byte[] header, byte[] data) {
    ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(header.length).put(header).put(data);
    write(file, out.array());
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path file, byte[] bytes) {
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code text} to {@code parent/name} and returns the file. */
  static Path writeFile(Path parent, String name, String text) {
    try {
      Files.createDirectories(parent);
      return Files.writeString(parent.resolve(name), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a calibration file of two short conversations that score positions on the tiny model. */
  static Path calibrationFile(Path parent) {
    String line =
        "{\"id\": \"%s\", \"category\": \"dialogue\", \"messages\": [{\"role\": \"user\","
            + " \"content\": \"Tell me a story.\"}, {\"role\": \"assistant\", \"content\":"
            + " \"%s\"}]}";
    return writeFile(
        parent,
        "calibration.jsonl",
        String.format(line, "c1", "Once upon a time there was a cat.")
            + "\n"
            + String.format(line, "c2", "A dog ran to the park.")
            + "\n");
  }
}
