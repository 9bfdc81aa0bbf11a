package io.bitsweep.mlx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import io.bitsweep.mlx.MlxWriter.Options;
import io.bitsweep.mlx.MlxWriter.OverwriteMode;
import io.bitsweep.mlx.MlxWriter.Summary;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.AffineQuantizer;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantConfigException;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.quant.QuantizedTensor;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.SafetensorsFile;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import io.bitsweep.tensor.Floats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MlxWriterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LM = "language_model.model.layers.";
  private static final String HF = "model.language_model.layers.";

  @TempDir Path temp;

  static Path qwenTiny() {
    return SharedModels.require(SharedModels.QWEN35_TINY);
  }

  static QuantConfig config(String json) {
    return QuantConfig.parse(json, "test");
  }

  static JsonNode readJson(Path path) throws IOException {
    return JSON.readTree(path.toFile());
  }

  /** Reads a shard's header JSON text. */
  static String headerText(Path shard) throws IOException {
    byte[] bytes = Files.readAllBytes(shard);
    long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return new String(bytes, 8, (int) length, StandardCharsets.UTF_8);
  }

  @Test
  void tinyQwenUniformFolderLayout() throws IOException {
    Path out = temp.resolve("mlx");
    Summary summary =
        MlxWriter.write(qwenTiny(), config("{\"default\": 4}"), out, Options.defaults());

    assertThat(summary.shardFiles()).containsExactly("model.safetensors");
    assertThat(summary.files())
        .containsExactly(
            "config.json",
            "generation_config.json",
            "model.safetensors",
            "model.safetensors.index.json",
            "special_tokens_map.json",
            "tokenizer.json",
            "tokenizer_config.json");
    try (Stream<Path> listing = Files.list(out)) {
      assertThat(listing.map(p -> p.getFileName().toString()).sorted().toList())
          .isEqualTo(summary.files());
    }
    try (Stream<Path> siblings = Files.list(temp)) {
      assertThat(siblings.map(p -> p.getFileName().toString()).toList())
          .as("no temporary folder is left beside the output")
          .containsExactly("mlx");
    }
    assertThat(Files.readString(out.resolve("tokenizer.json")))
        .isEqualTo(Files.readString(qwenTiny().resolve("tokenizer.json")));

    try (SafetensorsFile file = SafetensorsFile.open(out.resolve("model.safetensors"))) {
      Map<String, TensorInfo> tensors = file.tensors();
      assertThat(file.metadata()).containsExactly(Map.entry("format", "mlx"));
      assertThat(tensors)
          .containsKeys(
              "language_model.lm_head.weight",
              "language_model.lm_head.scales",
              "language_model.lm_head.biases",
              "language_model.model.embed_tokens.weight",
              "language_model.model.norm.weight",
              LM + "3.self_attn.q_norm.weight",
              LM + "0.linear_attn.A_log");
      assertThat(tensors.keySet()).noneMatch(n -> n.contains("visual") || n.contains("mtp"));
      assertThat(tensors.keySet()).allMatch(n -> n.startsWith("language_model."));
      TensorInfo conv = tensors.get(LM + "0.linear_attn.conv1d.weight");
      assertThat(conv.shape()).as("conv1d moved to [C, K, 1]").containsExactly(256, 4, 1);
      assertThat(conv.dtype()).isEqualTo(DType.BF16);
      TensorInfo packed = tensors.get(LM + "0.mlp.down_proj.weight");
      assertThat(packed.dtype()).isEqualTo(DType.U32);
      assertThat(packed.shape()).containsExactly(128, 128 * 4 / 32);
      assertThat(tensors.get(LM + "0.mlp.down_proj.scales").shape()).containsExactly(128, 2);
      assertThat(tensors.get(LM + "0.mlp.down_proj.biases").dtype()).isEqualTo(DType.BF16);
      assertThat(tensors.get(LM + "0.linear_attn.in_proj_a.weight").shape()).containsExactly(4, 16);
      assertDataContiguousInNameOrder(file);
    }
    String header = headerText(out.resolve("model.safetensors"));
    assertThat(header).doesNotContain(" ").startsWith("{\"__metadata__\":{\"format\":\"mlx\"},");
    assertHeaderKeysSorted(header);
  }

  static void assertHeaderKeysSorted(String header) throws IOException {
    List<String> keys = new ArrayList<>();
    JSON.readTree(header).fieldNames().forEachRemaining(keys::add);
    assertThat(keys).as("header keys in bytewise order").isSorted();
    assertThat(keys.get(0)).isEqualTo("__metadata__");
  }

  @Test
  void configKeepsSourceAndAddsQuantization() throws IOException {
    Path out = temp.resolve("mlx");
    MlxWriter.write(qwenTiny(), config("{\"default\": 4}"), out, Options.defaults());

    JsonNode source = readJson(qwenTiny().resolve("config.json"));
    JsonNode written = readJson(out.resolve("config.json"));
    assertThat(written.has("vision_config")).as("vision_config removed as mlx-lm does").isFalse();
    assertThat(written.get("text_config")).isEqualTo(source.get("text_config"));
    assertThat(written.get("model_type").asText()).isEqualTo("qwen3_5");
    assertThat(written.get("quantization")).isEqualTo(written.get("quantization_config"));
    assertThat(written.get("quantization"))
        .isEqualTo(JSON.readTree("{\"group_size\": 64, \"bits\": 4, \"mode\": \"affine\"}"));
    List<String> keys = new ArrayList<>();
    written.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).as("top-level keys sorted").isSorted();
    String text = Files.readString(out.resolve("config.json"));
    assertThat(text)
        .startsWith("{\n    \"architectures\": [\n        \"Qwen3_5ForConditionalGeneration\"");
  }

  @Test
  void mixedConfigListsDifferingModules() throws IOException {
    Path out = temp.resolve("mlx");
    QuantConfig mixed =
        config(
            "{\"default\": {\"bits\": 4, \"group_size\": 64}, \"groups\": {"
                + "\"embed\": {\"bits\": 6, \"group_size\": 64}, \"lm_head\": 8,"
                + " \"gdn_out\": \"bf16\", \"attn_qkv@7-7\": {\"bits\": 3, \"group_size\": 32}}}");
    MlxWriter.write(qwenTiny(), mixed, out, Options.defaults());

    JsonNode quantization = readJson(out.resolve("config.json")).get("quantization");
    Map<String, JsonNode> entries = new TreeMap<>();
    quantization.fields().forEachRemaining(e -> entries.put(e.getKey(), e.getValue()));
    JsonNode six = JSON.readTree("{\"group_size\": 64, \"bits\": 6, \"mode\": \"affine\"}");
    JsonNode eight = JSON.readTree("{\"group_size\": 64, \"bits\": 8, \"mode\": \"affine\"}");
    JsonNode three = JSON.readTree("{\"group_size\": 32, \"bits\": 3, \"mode\": \"affine\"}");
    Map<String, JsonNode> expected = new TreeMap<>();
    expected.put("group_size", JSON.valueToTree(64));
    expected.put("bits", JSON.valueToTree(4));
    expected.put("mode", JSON.valueToTree("affine"));
    expected.put("language_model.model.embed_tokens", six);
    expected.put("language_model.lm_head", eight);
    for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
      expected.put(LM + "7.self_attn." + proj, three);
    }
    for (int layer : new int[] {0, 1, 2, 4, 5, 6}) {
      expected.put(LM + layer + ".linear_attn.out_proj", JSON.valueToTree(false));
    }
    assertThat(entries).isEqualTo(expected);
    assertThat(quantization)
        .isEqualTo(readJson(out.resolve("config.json")).get("quantization_config"));
    try (Checkpoint written = Checkpoint.open(out)) {
      assertThat(written.info(LM + "0.linear_attn.out_proj.weight").dtype()).isEqualTo(DType.BF16);
      assertThat(written.contains(LM + "0.linear_attn.out_proj.scales")).isFalse();
      assertThat(written.info(LM + "7.self_attn.q_proj.weight").shape()).containsExactly(256, 12);
      assertThat(written.info(LM + "3.self_attn.q_proj.weight").shape()).containsExactly(256, 16);
    }
  }

  @Test
  void mostCommonSettingGoesOnTop() throws IOException {
    Path out = temp.resolve("mlx");
    QuantConfig mixed =
        config(
            "{\"default\": 4, \"groups\": {\"mlp_up\": 3, \"mlp_down\": 3, \"gdn_in\": 3,"
                + " \"attn_qkv\": \"3/32\", \"gdn_out\": \"bf16\", \"mlp_down@0-1\": 6}}");
    MlxWriter.write(qwenTiny(), mixed, out, Options.defaults());

    Map<String, QuantSetting> expected = new TreeMap<>();
    try (Checkpoint source = Checkpoint.open(qwenTiny())) {
      QuantPlan plan =
          QuantPlan.resolve(
              mixed,
              source.tensors(),
              QuantPlan.HeadTying.detect(source.configJson(), source.tensors()));
      for (QuantPlan.Entry entry : plan.entries().values()) {
        if (entry.role().isGrouped() && entry.disposition() != QuantPlan.Disposition.DROPPED) {
          expected.put(mlxModulePath(entry.name()), entry.setting());
        }
      }
    }
    Map<String, Integer> counts = new TreeMap<>();
    expected.values().forEach(setting -> counts.merge(setting.label(), 1, Integer::sum));
    assertThat(counts)
        .as("modules per setting: the default 4/64 is not the most common one")
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("3/64", 34, "4/64", 16, "3/32", 6, "6/64", 2, "bf16", 6));

    JsonNode written = readJson(out.resolve("config.json"));
    JsonNode quantization = written.get("quantization");
    assertThat(quantization.get("bits").asInt()).as("top-level bits").isEqualTo(3);
    assertThat(quantization.get("group_size").asInt()).as("top-level group_size").isEqualTo(64);
    assertThat(quantization.get("mode").asText()).as("top-level mode").isEqualTo("affine");
    assertThat(written.get("quantization_config")).isEqualTo(quantization);

    Map<String, JsonNode> overrides = new TreeMap<>();
    quantization
        .fields()
        .forEachRemaining(
            field -> {
              if (field.getValue().isObject() || field.getValue().isBoolean()) {
                overrides.put(field.getKey(), field.getValue());
              }
            });
    Map<String, JsonNode> expectedOverrides = new TreeMap<>();
    expected.forEach(
        (path, setting) -> {
          if (!setting.isQuantized()) {
            expectedOverrides.put(path, JSON.valueToTree(false));
          } else if (!setting.equals(QuantSetting.affine(3, 64))) {
            ObjectNode entry = JSON.createObjectNode();
            entry.put("group_size", setting.groupSize());
            entry.put("bits", setting.bits());
            entry.put("mode", "affine");
            expectedOverrides.put(path, entry);
          }
        });
    assertThat(overrides)
        .as("one entry per module whose setting differs from the top level")
        .isEqualTo(expectedOverrides);

    try (MlxModel model = MlxReader.open(out)) {
      for (Map.Entry<String, QuantSetting> module : expected.entrySet()) {
        QuantSetting setting = module.getValue();
        assertThat(model.setting(module.getKey()))
            .as("setting the reader gives %s", module.getKey())
            .isEqualTo(setting.isQuantized() ? setting : null);
      }
      assertThat(model.quantizedModules()).hasSize(58);
    }
  }

  /** Maps a Hugging Face weight name of the dense tiny Qwen3.5 model to its MLX module path. */
  private static String mlxModulePath(String hfName) {
    String module = hfName.substring(0, hfName.length() - ".weight".length());
    if (module.equals("lm_head")) {
      return "language_model.lm_head";
    }
    assertThat(module).startsWith("model.language_model.");
    return "language_model.model." + module.substring("model.language_model.".length());
  }

  @Test
  void quantizedBytesMatchQuantizerOnSource() throws IOException {
    Path out = temp.resolve("mlx");
    QuantConfig mixed = config("{\"default\": \"5/32\", \"groups\": {\"mlp_up\": 3}}");
    MlxWriter.write(qwenTiny(), mixed, out, Options.defaults());

    try (Checkpoint source = Checkpoint.open(qwenTiny());
        Checkpoint written = Checkpoint.open(out)) {
      assertSameQuantization(
          source, HF + "4.mlp.gate_proj.weight", written, LM + "4.mlp.gate_proj", 3, 64);
      assertSameQuantization(
          source,
          HF + "1.linear_attn.in_proj_qkv.weight",
          written,
          LM + "1.linear_attn.in_proj_qkv",
          5,
          32);
      assertSameQuantization(source, "lm_head.weight", written, "language_model.lm_head", 5, 32);
    }
  }

  /** Checks words, scales and biases against AffineQuantizer run on the whole source tensor. */
  static void assertSameQuantization(
      Checkpoint source,
      String sourceName,
      Checkpoint written,
      String module,
      int bits,
      int groupSize) {
    TensorInfo info = source.info(sourceName);
    QuantizedTensor expected =
        new AffineQuantizer(bits, groupSize)
            .quantize(source.readFloats(sourceName), info.shape(), info.dtype());
    TensorInfo packed = written.info(module + ".weight");
    ByteBuffer bytes =
        ByteBuffer.allocate((int) packed.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
    written.readBytes(module + ".weight", 0, bytes);
    int[] words = new int[expected.words().length];
    bytes.flip().asIntBuffer().get(words);
    assertThat(words).as("packed words of %s", module).isEqualTo(expected.words());
    assertThat(written.readFloats(module + ".scales")).isEqualTo(expected.scales());
    assertThat(written.readFloats(module + ".biases")).isEqualTo(expected.biases());
  }

  @Test
  void smallChunksGiveSameFiles() throws IOException {
    QuantConfig mixed = config("{\"default\": 4, \"groups\": {\"mlp_down\": \"3/32\"}}");
    Path whole = temp.resolve("whole");
    Path chunked = temp.resolve("chunked");
    MlxWriter.write(qwenTiny(), mixed, whole, Options.defaults());
    // 300 values give chunks of 2 rows of 128 (and one row of the 4 x 128 conv and norm tensors).
    MlxWriter.write(qwenTiny(), mixed, chunked, Options.defaults(), 300);

    for (String file :
        new String[] {"model.safetensors", "config.json", "model.safetensors.index.json"}) {
      assertThat(Files.readAllBytes(chunked.resolve(file)))
          .as(file)
          .isEqualTo(Files.readAllBytes(whole.resolve(file)));
    }
    Path experts = TinyCheckpoints.qwen35Moe(temp.resolve("moe"));
    QuantConfig moe = config("{\"default\": 4, \"groups\": {\"expert_up\": \"3/32\"}}");
    MlxWriter.write(experts, moe, temp.resolve("moe-whole"), Options.defaults());
    MlxWriter.write(experts, moe, temp.resolve("moe-chunked"), Options.defaults(), 1000);
    assertThat(Files.readAllBytes(temp.resolve("moe-chunked/model.safetensors")))
        .isEqualTo(Files.readAllBytes(temp.resolve("moe-whole/model.safetensors")));
  }

  @Test
  void normsShiftedAndOtherTensorsCopied() throws IOException {
    Path out = temp.resolve("mlx");
    MlxWriter.write(qwenTiny(), config("{\"default\": 4}"), out, Options.defaults());

    try (Checkpoint source = Checkpoint.open(qwenTiny());
        Checkpoint written = Checkpoint.open(out)) {
      String[][] shifted = {
        {HF + "0.input_layernorm.weight", LM + "0.input_layernorm.weight"},
        {HF + "5.post_attention_layernorm.weight", LM + "5.post_attention_layernorm.weight"},
        {HF + "3.self_attn.q_norm.weight", LM + "3.self_attn.q_norm.weight"},
        {HF + "7.self_attn.k_norm.weight", LM + "7.self_attn.k_norm.weight"},
        {"model.language_model.norm.weight", "language_model.model.norm.weight"}
      };
      for (String[] pair : shifted) {
        float[] hf = source.readFloats(pair[0]);
        float[] expected = new float[hf.length];
        for (int i = 0; i < hf.length; i++) {
          expected[i] = Floats.roundToBf16(hf[i] + 1f);
        }
        assertThat(written.readFloats(pair[1])).as(pair[1]).isEqualTo(expected);
      }
      String[][] copied = {
        {HF + "0.linear_attn.norm.weight", LM + "0.linear_attn.norm.weight"},
        {HF + "0.linear_attn.A_log", LM + "0.linear_attn.A_log"},
        {HF + "2.linear_attn.dt_bias", LM + "2.linear_attn.dt_bias"},
        {HF + "6.linear_attn.conv1d.weight", LM + "6.linear_attn.conv1d.weight"}
      };
      for (String[] pair : copied) {
        assertThat(rawBytes(written, pair[1])).as(pair[1]).isEqualTo(rawBytes(source, pair[0]));
      }
    }
  }

  static byte[] rawBytes(Checkpoint checkpoint, String name) {
    ByteBuffer buffer = ByteBuffer.allocate((int) checkpoint.info(name).byteLength());
    checkpoint.readBytes(name, 0, buffer);
    return buffer.array();
  }

  @Test
  void indexMatchesShards() throws IOException {
    Path out = temp.resolve("mlx");
    Summary summary =
        MlxWriter.write(
            qwenTiny(),
            config("{\"default\": 4}"),
            out,
            Options.defaults().withMaxShardBytes(300_000));

    assertThat(summary.shardFiles())
        .containsExactly(
            "model-00001-of-00003.safetensors",
            "model-00002-of-00003.safetensors",
            "model-00003-of-00003.safetensors");
    JsonNode index = readJson(out.resolve("model.safetensors.index.json"));
    assertThat(index.at("/metadata/total_size").asLong()).isEqualTo(summary.tensorBytes());
    assertThat(index.at("/metadata/total_parameters").asLong()).isEqualTo(1_456_624);
    Map<String, String> weightMap = new TreeMap<>();
    List<String> order = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = index.get("weight_map").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      weightMap.put(entry.getKey(), entry.getValue().asText());
      order.add(entry.getKey());
    }
    assertThat(order).as("weight_map sorted").isSorted();
    Map<String, String> actual = new TreeMap<>();
    long data = 0;
    for (String shard : summary.shardFiles()) {
      try (SafetensorsFile file = SafetensorsFile.open(out.resolve(shard))) {
        assertThat(file.metadata()).containsEntry("format", "mlx");
        assertDataContiguousInNameOrder(file);
        long shardData = 0;
        for (TensorInfo info : file.tensors().values()) {
          actual.put(info.name(), shard);
          shardData += info.byteLength();
        }
        assertThat(shardData).as("data of %s", shard).isLessThanOrEqualTo(300_000);
        data += shardData;
      }
      assertHeaderKeysSorted(headerText(out.resolve(shard)));
    }
    assertThat(weightMap).isEqualTo(actual);
    assertThat(data).isEqualTo(summary.tensorBytes());
    assertThat(summary.tensorCount()).isEqualTo(actual.size());
  }

  @Test
  void outputGetsPermissionsOfNewFiles() throws IOException {
    Path source = temp.resolve("read-only-source");
    Files.createDirectories(source);
    try (Stream<Path> files = Files.list(qwenTiny())) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Path copy = Files.copy(file, source.resolve(file.getFileName()));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("r--r--r--"));
      }
    }
    Path probeFolder = Files.createDirectory(temp.resolve("probe-folder"));
    Path probeFile = Files.createFile(temp.resolve("probe-file"));
    Path out = temp.resolve("mlx");

    MlxWriter.write(source, config("{\"default\": 4}"), out, Options.defaults());

    assertThat(Files.getPosixFilePermissions(out))
        .as("permissions of the MLX folder, as of any folder created beside it")
        .isEqualTo(Files.getPosixFilePermissions(probeFolder));
    for (String name : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
      assertThat(Files.getPosixFilePermissions(out.resolve(name)))
          .as("permissions of %s, as of any file created beside the folder", name)
          .isEqualTo(Files.getPosixFilePermissions(probeFile));
    }
  }

  @Test
  void existingFolderNeedsOverwrite() throws IOException {
    Path out = temp.resolve("mlx");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "old");

    assertThatThrownBy(
            () -> MlxWriter.write(qwenTiny(), config("{\"default\": 4}"), out, Options.defaults()))
        .isInstanceOf(MlxException.class)
        .hasMessage(
            "Cannot write the MLX model to "
                + out
                + ": the folder already exists; pass"
                + " --overwrite to replace it, or choose another output folder");
    assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("old");

    MlxWriter.write(
        qwenTiny(),
        config("{\"default\": 4}"),
        out,
        Options.defaults().withOverwrite(OverwriteMode.REPLACE));
    assertThat(out.resolve("keep.txt")).doesNotExist();
    assertThat(out.resolve("model.safetensors")).exists();
    try (Stream<Path> siblings = Files.list(temp)) {
      assertThat(siblings.map(p -> p.getFileName().toString()).toList()).containsExactly("mlx");
    }
  }

  @Test
  void sourceFolderIsNeverTheOutput() {
    Path model = qwenTiny();
    assertThatThrownBy(
            () ->
                MlxWriter.write(
                    model,
                    config("{\"default\": 4}"),
                    model,
                    Options.defaults().withOverwrite(OverwriteMode.REPLACE)))
        .isInstanceOf(MlxException.class)
        .hasMessageContaining("it is or contains the source model folder");
  }

  @Test
  void failingWeightSourceLeavesNoFolder() {
    Path out = temp.resolve("mlx");
    AtomicInteger reads = new AtomicInteger();
    Options failing =
        Options.defaults().withWeightTransform(source -> new FailingSource(source, reads, 20));

    assertThatThrownBy(() -> MlxWriter.write(qwenTiny(), config("{\"default\": 4}"), out, failing))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("injected read failure after 20 reads");
    assertThat(reads.get()).isEqualTo(21);
    assertThat(out).doesNotExist();
    assertThat(temp.toFile().list()).as("temporary folder deleted").isEmpty();
  }

  @Test
  void indivisibleGroupSizeFailsBeforeWriting() throws IOException {
    Path out = temp.resolve("mlx");
    // The experts' down_proj rows hold moe_intermediate_size = 64 values.
    assertThatThrownBy(
            () ->
                MlxWriter.write(
                    TinyCheckpoints.qwen3Next(temp.resolve("next")),
                    config("{\"default\": 4, \"groups\": {\"expert_down\": \"4/128\"}}"),
                    out,
                    Options.defaults()))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageContaining("last dimension 64 is not divisible by group size 128");
    assertThat(out).doesNotExist();
    try (Stream<Path> siblings = Files.list(temp)) {
      assertThat(siblings.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("next");
    }
  }

  /** A weight source that throws after a number of row reads, to fail a write midway. */
  static final class FailingSource implements WeightSource {
    private final WeightSource source;
    private final AtomicInteger reads;
    private final int limit;

    FailingSource(WeightSource source, AtomicInteger reads, int limit) {
      this.source = source;
      this.reads = reads;
      this.limit = limit;
    }

    @Override
    public TensorInfo info(String name) {
      return source.info(name);
    }

    @Override
    public boolean contains(String name) {
      return source.contains(name);
    }

    @Override
    public float[] read(String name) {
      return source.read(name);
    }

    @Override
    public void readRows(String name, long firstRow, int rowCount, float[] dst, int dstOffset) {
      if (reads.incrementAndGet() > limit) {
        throw new IllegalStateException("injected read failure after " + limit + " reads");
      }
      source.readRows(name, firstRow, rowCount, dst, dstOffset);
    }
  }

  @Test
  void qwen35MoeExpertsSplit() throws IOException {
    Path model = TinyCheckpoints.qwen35Moe(temp.resolve("moe"));
    Path out = temp.resolve("mlx");
    QuantConfig moe = config("{\"default\": 4, \"groups\": {\"expert_up\": 3, \"router\": 8}}");
    Summary summary = MlxWriter.write(model, moe, out, Options.defaults());

    String mlp = LM + "1.mlp.";
    try (Checkpoint source = Checkpoint.open(model);
        Checkpoint written = Checkpoint.open(out)) {
      assertThat(written.info(mlp + "switch_mlp.gate_proj.weight").shape())
          .containsExactly(4, 64, 128 * 3 / 32);
      assertThat(written.info(mlp + "switch_mlp.up_proj.scales").shape()).containsExactly(4, 64, 2);
      assertThat(written.info(mlp + "switch_mlp.down_proj.weight").shape())
          .containsExactly(4, 128, 64 * 4 / 32);
      assertThat(written.contains(mlp + "experts.gate_up_proj")).isFalse();
      assertThat(written.info(mlp + "gate.weight").shape()).containsExactly(4, 128 * 8 / 32);
      assertThat(written.tensors().keySet())
          .noneMatch(n -> n.contains("visual") || n.contains("mtp"));

      // gate = first 64 rows of each expert's 128 rows, up = the next 64.
      float[] fused = source.readFloats(HF + "1.mlp.experts.gate_up_proj");
      float[] gate = new float[4 * 64 * 128];
      float[] up = new float[4 * 64 * 128];
      for (int e = 0; e < 4; e++) {
        System.arraycopy(fused, e * 128 * 128, gate, e * 64 * 128, 64 * 128);
        System.arraycopy(fused, e * 128 * 128 + 64 * 128, up, e * 64 * 128, 64 * 128);
      }
      assertQuantizedEquals(
          written, mlp + "switch_mlp.gate_proj", gate, new long[] {4, 64, 128}, 3);
      assertQuantizedEquals(written, mlp + "switch_mlp.up_proj", up, new long[] {4, 64, 128}, 3);
    }
    JsonNode quantization = readJson(out.resolve("config.json")).get("quantization");
    assertThat(quantization.get(mlp + "switch_mlp.gate_proj").get("bits").asInt()).isEqualTo(3);
    assertThat(quantization.get(mlp + "gate").get("bits").asInt()).isEqualTo(8);
    assertThat(quantization.get(mlp + "shared_expert_gate").get("bits").asInt()).isEqualTo(8);
    assertThat(summary.files()).contains("chat_template.jinja").doesNotContain("README.md");
  }

  static void assertQuantizedEquals(
      Checkpoint written, String module, float[] values, long[] shape, int bits) {
    QuantizedTensor expected = new AffineQuantizer(bits, 64).quantize(values, shape, DType.BF16);
    ByteBuffer bytes =
        ByteBuffer.allocate(expected.words().length * 4).order(ByteOrder.LITTLE_ENDIAN);
    written.readBytes(module + ".weight", 0, bytes);
    int[] words = new int[expected.words().length];
    bytes.flip().asIntBuffer().get(words);
    assertThat(words).as("words of %s", module).isEqualTo(expected.words());
    assertThat(written.readFloats(module + ".scales")).isEqualTo(expected.scales());
    assertThat(written.readFloats(module + ".biases")).isEqualTo(expected.biases());
  }

  @Test
  void qwen3NextExpertsStacked() throws IOException {
    Path model = TinyCheckpoints.qwen3Next(temp.resolve("next"));
    Path out = temp.resolve("mlx");
    MlxWriter.write(model, config("{\"default\": 4}"), out, Options.defaults());

    try (Checkpoint source = Checkpoint.open(model);
        Checkpoint written = Checkpoint.open(out)) {
      assertThat(written.tensors().keySet())
          .allMatch(n -> n.startsWith("model.") || n.startsWith("lm_head."));
      assertThat(written.contains("lm_head.weight")).isTrue();
      assertThat(written.info("model.layers.0.linear_attn.in_proj_qkvz.weight").shape())
          .as("fused projection kept fused")
          .containsExactly(2 * 64 + 2 * 128, 16);
      assertThat(written.info("model.layers.0.linear_attn.in_proj_ba.weight").shape())
          .containsExactly(8, 16);
      assertThat(written.info("model.layers.2.mlp.down_proj.weight").shape())
          .as("dense layer 2 (mlp_only_layers)")
          .containsExactly(128, 32);
      assertThat(written.info("model.layers.3.mlp.switch_mlp.down_proj.weight").shape())
          .containsExactly(4, 128, 8);
      float[] stacked = new float[4 * 64 * 128];
      for (int e = 0; e < 4; e++) {
        float[] expert = source.readFloats("model.layers.3.mlp.experts." + e + ".up_proj.weight");
        System.arraycopy(expert, 0, stacked, e * 64 * 128, expert.length);
      }
      assertQuantizedEquals(
          written, "model.layers.3.mlp.switch_mlp.up_proj", stacked, new long[] {4, 64, 128}, 4);
      float[] norm = source.readFloats("model.norm.weight");
      float[] shifted = written.readFloats("model.norm.weight");
      for (int i = 0; i < norm.length; i++) {
        assertThat(shifted[i]).isEqualTo(Floats.roundToBf16(norm[i] + 1f));
      }
    }
  }

  @Test
  void llamaKeepsFloat32AndTiedEmbedding() throws IOException {
    Path llama = SharedModels.require(SharedModels.LLAMA_TINY);
    Path out = temp.resolve("mlx");
    MlxWriter.write(llama, config("{\"default\": \"4/32\"}"), out, Options.defaults());

    try (Checkpoint source = Checkpoint.open(llama);
        Checkpoint written = Checkpoint.open(out)) {
      assertThat(written.contains("lm_head.weight")).as("tied head not written").isFalse();
      assertThat(written.info("model.embed_tokens.scales").dtype()).isEqualTo(DType.F32);
      assertThat(written.info("model.layers.0.mlp.down_proj.weight").shape())
          .containsExactly(128, 48);
      assertThat(written.readFloats("model.norm.weight"))
          .as("Llama norms are not shifted")
          .isEqualTo(source.readFloats("model.norm.weight"));
      assertSameQuantization(source, "lm_head.weight", written, "model.embed_tokens", 4, 32);
    }
  }

  static void assertDataContiguousInNameOrder(SafetensorsFile file) {
    long expectedOffset = -1;
    for (TensorInfo info : file.tensors().values()) {
      if (expectedOffset >= 0) {
        assertThat(info.fileOffset()).as("offset of %s", info.name()).isEqualTo(expectedOffset);
      }
      expectedOffset = info.fileOffset() + info.byteLength();
    }
    assertThat(expectedOffset).as("data ends at the end of the file").isEqualTo(file.fileSize());
  }
}
