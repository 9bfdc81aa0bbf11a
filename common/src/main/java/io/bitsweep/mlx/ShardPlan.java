package io.bitsweep.mlx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.mlx.StoredParameter.FileTensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The assignment of tensors to safetensors shards, as {@code mlx_lm.utils.make_shards} does it:
 * tensors are taken in name order and a new shard starts when the next tensor would push the
 * current one's data past the limit (a tensor larger than the limit gets a shard of its own). Each
 * shard stores its tensors contiguously in name order from data offset 0, under a compact header
 * with keys sorted bytewise and {@code {"format":"mlx"}} metadata, which is what {@code
 * mx.save_safetensors} writes apart from the order of the data blocks.
 */
final class ShardPlan {
  /** mlx-lm's {@code MAX_FILE_SIZE_GB = 5}: 5 GiB of tensor data per shard, headers not counted. */
  static final long DEFAULT_MAX_SHARD_BYTES = 5L << 30;

  /** The file name of a model written as one shard. */
  static final String SINGLE_FILE = "model.safetensors";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String METADATA_KEY = "__metadata__";

  /**
   * The position of a tensor's data.
   *
   * @param shard the index of its shard
   * @param tensor the header entry
   * @param dataOffset the offset of its first byte from the start of the shard's data section
   */
  record Location(int shard, FileTensor tensor, long dataOffset) {}

  /**
   * One shard file.
   *
   * @param fileName its name, such as {@code model-00001-of-00003.safetensors}
   * @param tensors its tensors in name order, each with its data offset
   * @param dataBytes the size of its data section
   */
  record Shard(String fileName, List<Location> tensors, long dataBytes) {
    /** Returns the header bytes: compact JSON, keys sorted bytewise. */
    byte[] header() {
      // Keys in bytewise order, "__metadata__" included, as MLX's std::map writes them.
      Map<String, Location> sorted = new TreeMap<>();
      sorted.put(METADATA_KEY, null);
      for (Location location : tensors) {
        sorted.put(location.tensor().name(), location);
      }
      ObjectNode root = JSON.createObjectNode();
      for (Map.Entry<String, Location> entry : sorted.entrySet()) {
        Location location = entry.getValue();
        if (location == null) {
          root.putObject(METADATA_KEY).put("format", "mlx");
          continue;
        }
        ObjectNode node = root.putObject(entry.getKey());
        ArrayNode offsets = node.putArray("data_offsets");
        offsets
            .add(location.dataOffset())
            .add(location.dataOffset() + location.tensor().byteLength());
        node.put("dtype", location.tensor().dtype().headerName());
        ArrayNode shape = node.putArray("shape");
        for (long dim : location.tensor().shape()) {
          shape.add(dim);
        }
      }
      return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Returns the size of the file: 8 bytes of header length, the header and the data. */
    long fileBytes() {
      return 8 + header().length + dataBytes;
    }
  }

  private final List<Shard> shards;
  private final Map<String, Location> locations;

  private ShardPlan(List<Shard> shards, Map<String, Location> locations) {
    this.shards = List.copyOf(shards);
    this.locations = Collections.unmodifiableMap(locations);
  }

  /**
   * Assigns tensors to shards.
   *
   * @param tensors every tensor of the model. Names must be plain ASCII (MLX names are), so that
   *     Java's string order equals the bytewise order of MLX's headers.
   * @param maxShardBytes the limit of tensor data per shard
   */
  static ShardPlan of(List<FileTensor> tensors, long maxShardBytes) {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive, found " + maxShardBytes);
    }
    Map<String, FileTensor> sorted = new TreeMap<>();
    for (FileTensor tensor : tensors) {
      if (sorted.put(tensor.name(), tensor) != null || tensor.name().equals(METADATA_KEY)) {
        throw new MlxException("Cannot write the tensor name " + tensor.name() + " twice");
      }
    }
    List<List<FileTensor>> groups = new ArrayList<>();
    List<FileTensor> current = new ArrayList<>();
    long size = 0;
    for (FileTensor tensor : sorted.values()) {
      if (!current.isEmpty() && size + tensor.byteLength() > maxShardBytes) {
        groups.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(tensor);
      size += tensor.byteLength();
    }
    groups.add(current);
    return layOut(groups);
  }

  private static ShardPlan layOut(List<List<FileTensor>> groups) {
    List<Shard> shards = new ArrayList<>();
    Map<String, Location> locations = new TreeMap<>();
    for (int i = 0; i < groups.size(); i++) {
      String fileName =
          groups.size() == 1
              ? SINGLE_FILE
              : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, groups.size());
      List<Location> placed = new ArrayList<>();
      long offset = 0;
      for (FileTensor tensor : groups.get(i)) {
        Location location = new Location(i, tensor, offset);
        placed.add(location);
        locations.put(tensor.name(), location);
        offset += tensor.byteLength();
      }
      shards.add(new Shard(fileName, placed, offset));
    }
    return new ShardPlan(shards, locations);
  }

  List<Shard> shards() {
    return shards;
  }

  /** Returns where a tensor is stored. */
  Location location(String tensorName) {
    Location location = locations.get(tensorName);
    if (location == null) {
      throw new IllegalStateException("Tensor " + tensorName + " is not in the shard plan");
    }
    return location;
  }

  /** Returns the tensor data of all shards: the index's {@code metadata.total_size}. */
  long dataBytes() {
    long total = 0;
    for (Shard shard : shards) {
      total += shard.dataBytes();
    }
    return total;
  }

  /** Returns the number of tensors. */
  int tensorCount() {
    return locations.size();
  }

  /** Returns the index's {@code weight_map}: every tensor name and its shard file, sorted. */
  Map<String, String> weightMap() {
    Map<String, String> map = new TreeMap<>();
    locations.forEach((name, location) -> map.put(name, shards.get(location.shard()).fileName()));
    return map;
  }
}
