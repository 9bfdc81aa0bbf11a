package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code plan} and {@code inspect} commands on the tiny Qwen3.5 model: {@code plan} prints the
 * final setting and MLX size of every checkpoint tensor, and {@code inspect} prints every tensor
 * of a folder written by {@code write-mlx} with totals that match the shard files. Neither starts
 * Spark.
 */
class PlanInspectCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A row of the plan table: tensor, group, layer, shape, dtype, setting, MLX bytes, note. */
  private static final Pattern PLAN_ROW =
      Pattern.compile("^(\\S+) +(\\S+) +(\\S+) +(\\[[^\\]]*\\]) +(\\S+) +(\\S+) +(\\d+) *(.*)$");

  /** A row of the inspect table: tensor, dtype, shape, bits, group size, bytes. */
  private static final Pattern INSPECT_ROW =
      Pattern.compile("^(language_model\\.\\S+) +(\\S+) +(\\[[^\\]]*\\]) +(\\S+) +(\\S+) +(\\d+)$");

  @TempDir Path tmp;

  record PlanRow(
      String group, String layer, String shape, String setting, long bytes, String note) {}

  record InspectRow(String dtype, String shape, String bits, String groupSize, long bytes) {}

  @Test
  void planPrintsEveryTensorSetting() throws IOException {
    Path model = TinyModelCopy.source();
    Path config =
        TinyModelCopy.writeFile(
            tmp,
            "config.json",
            "{\"default\": 4, \"groups\": {\"mlp_down@0-3\": {\"bits\": 6, \"group_size\": 32},"
                + " \"gdn_out\": \"bf16\", \"attn_qkv\": \"5/64+awq\"}}");

    Cli.Result result =
        Cli.run("plan", "--model", model.toString(), "--config", config.toString());

    assertThat(result.status()).as("exit status").isZero();
    Map<String, PlanRow> rows = planRows(result.stdout());
    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      assertThat(rows.keySet())
          .as("one row per checkpoint tensor")
          .containsExactlyInAnyOrderElementsOf(checkpoint.tensors().keySet());
    }
    String layers = "model.language_model.layers.";
    // 6-bit codes of 128 x 128 values, plus bf16 scales and biases for 128 x 4 groups.
    assertThat(rows.get(layers + "3.mlp.down_proj.weight"))
        .as("last layer of the mlp_down@0-3 range")
        .isEqualTo(
            new PlanRow(
                "mlp_down", "3", "[128, 128]", "6/32", 128 * 128 * 6 / 8 + 2 * 128 * 4 * 2, ""));
    assertThat(rows.get(layers + "4.mlp.down_proj.weight"))
        .as("first layer after the range: the default")
        .isEqualTo(
            new PlanRow(
                "mlp_down", "4", "[128, 128]", "4/64", 128 * 128 * 4 / 8 + 2 * 128 * 2 * 2, ""));
    assertThat(rows.get(layers + "3.self_attn.q_proj.weight"))
        .isEqualTo(
            new PlanRow(
                "attn_qkv",
                "3",
                "[256, 128]",
                "5/64+awq",
                256 * 128 * 5 / 8 + 2 * 256 * 2 * 2,
                ""));
    assertThat(rows.get(layers + "0.linear_attn.out_proj.weight"))
        .isEqualTo(new PlanRow("gdn_out", "0", "[128, 128]", "bf16", 128 * 128 * 2, ""));
    assertThat(rows.get(layers + "0.linear_attn.conv1d.weight").setting())
        .as("conv1d is never quantized")
        .isEqualTo("kept");
    assertThat(rows.get("mtp.fc.weight").setting()).isEqualTo("dropped");
    assertThat(rows.get("mtp.fc.weight").note())
        .isEqualTo("vision tower or MTP head, not part of the MLX text model");
    assertThat(result.stdout())
        .containsPattern("\\n  mlp_down +4/64 \\(ranges\\) +8 tensors ")
        .contains("configuration ")
        .contains(": 4/64 attn_qkv=5/64+awq gdn_out=bf16 mlp_down@0-3=6/32\n");
    long sum = rows.values().stream().mapToLong(PlanRow::bytes).sum();
    assertThat(result.stdout())
        .as("total line: the sum of the rows' MLX bytes")
        .containsPattern(
            "\\ntotal: " + sum + " bytes, \\d+ parameters, [0-9.]+ bits per weight\\n");
  }

  @Test
  void planRejectsQuantizedFolder() throws IOException {
    Path config = TinyModelCopy.writeFile(tmp, "4bit.json", "{\"default\": 4}");
    Path out = tmp.resolve("mlx");
    Cli.Result written =
        Cli.run(
            "write-mlx",
            "--model", TinyModelCopy.source().toString(),
            "--config", config.toString(),
            "--out", out.toString());
    assertThat(written.status()).as("write-mlx exit status").isZero();

    Cli.Result result = Cli.run("plan", "--model", out.toString(), "--config", config.toString());

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep plan: Cannot quantize "
                + out
                + ": its config.json already has a quantization entry; pass the unquantized"
                + " Hugging Face checkpoint\n");
  }

  @Test
  void inspectMatchesShardFiles() throws IOException {
    Path config =
        TinyModelCopy.writeFile(
            tmp,
            "config.json",
            "{\"default\": 4, \"groups\": {\"lm_head\": \"8/32\", \"gdn_out\": \"bf16\"}}");
    Path out = tmp.resolve("mlx");
    Cli.Result written =
        Cli.run(
            "write-mlx",
            "--model", TinyModelCopy.source().toString(),
            "--config", config.toString(),
            "--out", out.toString());
    assertThat(written.status()).as("write-mlx exit status").isZero();

    Cli.Result result = Cli.run("inspect", out.toString());

    assertThat(result.status()).as("exit status").isZero();
    Map<String, InspectRow> rows = inspectRows(result.stdout());
    Map<String, InspectRow> fromHeaders = new TreeMap<>();
    long dataBytes = 0;
    List<Path> shards;
    try (Stream<Path> files = Files.list(out)) {
      shards = files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
    }
    assertThat(shards).as("shards of %s", out).containsExactly(out.resolve("model.safetensors"));
    for (Path shard : shards) {
      dataBytes += readHeader(shard, fromHeaders);
    }
    long scales = fromHeaders.keySet().stream().filter(name -> name.endsWith(".scales")).count();
    assertThat(scales).as("quantized modules in the shard").isEqualTo(58);
    assertThat(rows).as("rows against the shard headers").isEqualTo(fromHeaders);
    long rowBytes = rows.values().stream().mapToLong(InspectRow::bytes).sum();
    assertThat(rowBytes).as("bytes of the rows").isEqualTo(dataBytes);
    JsonNode index = JSON.readTree(out.resolve("model.safetensors.index.json").toFile());
    assertThat(index.at("/metadata/total_size").asLong()).isEqualTo(dataBytes);
    assertThat(result.stdout())
        .containsPattern(
            "\\ntotal: +"
                + fromHeaders.size()
                + " tensors, "
                + dataBytes
                + " bytes, "
                + index.at("/metadata/total_parameters").asLong()
                + " parameters, [0-9.]+ bits per weight\\n");
    assertThat(result.stdout()).contains("\nsettings:     4/64 x 57, 8/32 x 1\n");
  }

  /** Parses the plan table into rows by tensor name. */
  private static Map<String, PlanRow> planRows(String text) {
    Map<String, PlanRow> rows = new HashMap<>();
    for (String line : text.split("\n")) {
      Matcher m = PLAN_ROW.matcher(line);
      if (m.matches() && !m.group(1).equals("tensor")) {
        long bytes = Long.parseLong(m.group(7));
        PlanRow row =
            new PlanRow(m.group(2), m.group(3), m.group(4), m.group(6), bytes, m.group(8));
        assertThat(rows.put(m.group(1), row)).as("rows of %s", m.group(1)).isNull();
      }
    }
    return rows;
  }

  /** Parses the inspect table into rows by tensor name. */
  private static Map<String, InspectRow> inspectRows(String text) {
    Map<String, InspectRow> rows = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher m = INSPECT_ROW.matcher(line);
      if (m.matches()) {
        long bytes = Long.parseLong(m.group(6));
        InspectRow row = new InspectRow(m.group(2), m.group(3), m.group(4), m.group(5), bytes);
        assertThat(rows.put(m.group(1), row)).as("rows of %s", m.group(1)).isNull();
      }
    }
    return rows;
  }

  /**
   * Reads a shard's header into the rows inspect should print and returns the shard's data bytes:
   * the file size without the 8-byte length and the header. The settings come from the
   * configuration the folder was written with: {@code lm_head} at 8 bits in groups of 32, modules
   * without {@code scales} unquantized, and every other module at 4 bits in groups of 64. Each
   * quantized setting must also fit the packed shapes.
   */
  private static long readHeader(Path shard, Map<String, InspectRow> rows) throws IOException {
    byte[] bytes = Files.readAllBytes(shard);
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode header = JSON.readTree(Arrays.copyOfRange(bytes, 8, 8 + (int) headerLength));
    Map<String, JsonNode> tensors = new TreeMap<>();
    header.fields().forEachRemaining(field -> tensors.put(field.getKey(), field.getValue()));
    tensors.remove("__metadata__");
    for (Map.Entry<String, JsonNode> entry : tensors.entrySet()) {
      String name = entry.getKey();
      JsonNode tensor = entry.getValue();
      long length = tensor.at("/data_offsets/1").asLong() - tensor.at("/data_offsets/0").asLong();
      String module = name.substring(0, name.lastIndexOf('.'));
      JsonNode weight = tensors.get(module + ".weight");
      JsonNode scales = tensors.get(module + ".scales");
      String bits = "-";
      String groupSize = "-";
      if (scales != null) {
        int moduleBits = module.equals("language_model.lm_head") ? 8 : 4;
        int moduleGroupSize = module.equals("language_model.lm_head") ? 32 : 64;
        assertThat(lastDim(weight) * 32 / moduleBits)
            .as("columns of %s from its packed words and from its groups", module)
            .isEqualTo(lastDim(scales) * moduleGroupSize);
        bits = Integer.toString(moduleBits);
        groupSize = Integer.toString(moduleGroupSize);
      }
      String dtype = tensor.get("dtype").asText();
      rows.put(name, new InspectRow(dtype, shapeText(tensor), bits, groupSize, length));
    }
    return bytes.length - 8 - headerLength;
  }

  private static String shapeText(JsonNode tensor) {
    StringBuilder shape = new StringBuilder("[");
    for (JsonNode dim : tensor.get("shape")) {
      shape.append(shape.length() == 1 ? "" : ", ").append(dim.asLong());
    }
    return shape.append(']').toString();
  }

  private static long lastDim(JsonNode tensor) {
    JsonNode shape = tensor.get("shape");
    return shape.get(shape.size() - 1).asLong();
  }
}
