package io.bitsweep.reliability;

import static io.bitsweep.reliability.TinyModelCopy.SHARD_1;
import static io.bitsweep.reliability.TinyModelCopy.SHARD_2;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bitsweep.SharedModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Broken checkpoints through {@code bitsweep run}: each case breaks one thing in a copy of the tiny
 * model, and the command must exit with status 1, print one line that names the file, tensor or
 * field, the expected and the found value and what to do, and write no table. The model is checked
 * before Spark starts, so no case here starts Spark.
 */
class CheckpointInputTest {
  private static final String DOWN_2 = "model.language_model.layers.2.mlp.down_proj.weight";
  private static final String UP_5 = "model.language_model.layers.5.mlp.up_proj.weight";
  private static final String NORM_0 = "model.language_model.layers.0.input_layernorm.weight";
  private static final String A_LOG_0 = "model.language_model.layers.0.linear_attn.A_log";
  private static final String FIX = "download or export the file again";

  @TempDir Path tmp;

  /**
   * One broken checkpoint.
   *
   * @param name what is broken
   * @param breakModel edits the copy in the given folder
   * @param message the expected error message, built from the model folder's absolute path
   */
  record Case(String name, Consumer<Path> breakModel, BiFunction<Path, Path, List<String>> message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(
            "file shorter than the length prefix",
            model -> TinyModelCopy.truncate(model, SHARD_1, 3),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(SHARD_1) + ": the file has 3 bytes, fewer than"
                        + " the 8-byte header length; it is truncated, so " + FIX)),
        new Case(
            "header longer than the file",
            model -> TinyModelCopy.truncate(model, SHARD_1, 100),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(SHARD_1) + ": header length is 6680 bytes but"
                        + " only 92 bytes follow it; the file is truncated, so " + FIX)),
        new Case(
            "data section cut short",
            model -> TinyModelCopy.truncate(model, SHARD_2, 1_000_000),
            (model, real) ->
                List.of(
                    "from " + model.resolve(SHARD_2) + ": data_offsets [",
                    "] lie outside the data section of 993264 bytes; the file is truncated or"
                        + " corrupt, so " + FIX)),
        new Case(
            "absurd header length",
            model -> TinyModelCopy.setHeaderLength(model, SHARD_1, 1L << 40),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(SHARD_1) + ": header length is 1099511627776"
                        + " bytes, expected between 2 and 104857600; the file is not a safetensors"
                        + " file or is corrupt, so " + FIX)),
        new Case(
            "header not JSON",
            model -> TinyModelCopy.replaceHeader(model, SHARD_1, "{\"a\": [1, 2"),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(SHARD_1) + ": the header is not valid JSON (",
                    "); " + FIX)),
        new Case(
            "header nested too deep",
            model -> TinyModelCopy.replaceHeader(model, SHARD_1, "[".repeat(40) + "]".repeat(40)),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(SHARD_1) + ": the header is not valid JSON (",
                    "nesting depth",
                    "exceeds the maximum allowed (16")),
        new Case(
            "unknown dtype",
            model -> editTensor(model, NORM_0, entry -> entry.put("dtype", "BF17")),
            (model, real) ->
                List.of(
                    "Cannot read " + NORM_0 + " from " + model.resolve(SHARD_1)
                        + ": unknown dtype \"BF17\": expected one of [",
                    "BF16",
                    "]; " + FIX)),
        new Case(
            "data offsets past the end",
            model -> editTensor(model, NORM_0, entry -> offsets(entry, 524288, 10_000_000)),
            (model, real) ->
                List.of(
                    "Cannot read " + NORM_0 + " from " + model.resolve(SHARD_1) + ": data_offsets"
                        + " [524288, 10000000] lie outside the data section of 1456880 bytes; the"
                        + " file is truncated or corrupt, so " + FIX)),
        new Case(
            "overlapping tensors",
            model -> editTensor(model, A_LOG_0, entry -> offsets(entry, 524540, 524548)),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(SHARD_1) + ": tensors " + NORM_0 + " (bytes"
                        + " 524288..524544) and " + A_LOG_0 + " (bytes 524540..524548) overlap;"
                        + " the header is corrupt, so " + FIX)),
        new Case(
            "data size not shape times dtype",
            model -> editTensor(model, NORM_0, entry -> entry.putArray("shape").add(127)),
            (model, real) ->
                List.of(
                    "Cannot read " + NORM_0 + " from " + model.resolve(SHARD_1) + ": data_offsets"
                        + " [524288, 524544] hold 256 bytes but shape [127] x BF16 needs 254 bytes; "
                        + FIX)),
        new Case(
            "tensor missing",
            model -> {
              TinyModelCopy.rewriteShard(model, SHARD_2, t -> t.info().name().equals(UP_5) ? null : t);
              TinyModelCopy.editIndex(model, index -> TinyModelCopy.weightMap(index).remove(UP_5));
            },
            (model, real) ->
                List.of(
                    "Cannot load checkpoint " + model + " as model_type qwen3_5: tensor " + UP_5
                        + " is missing (expected shape [128, 128]). Check that config.json belongs"
                        + " to these safetensors files.")),
        new Case(
            "tensor with the wrong shape",
            model ->
                TinyModelCopy.rewriteShard(
                    model,
                    SHARD_2,
                    t ->
                        t.info().name().equals(UP_5)
                            ? new TinyModelCopy.StoredTensor(
                                t.info(), new long[] {64, 128}, t.bytes().limit(64 * 128 * 2))
                            : t),
            (model, real) ->
                List.of(
                    "Cannot load checkpoint " + model + " as model_type qwen3_5: tensor " + UP_5
                        + " in " + SHARD_2 + " has shape [64, 128], expected [128, 128]. Check that"
                        + " config.json belongs to these safetensors files.")),
        new Case(
            "index entry outside the folder",
            model ->
                TinyModelCopy.editIndex(
                    model, index -> TinyModelCopy.weightMap(index).put("lm_head.weight", "../" + SHARD_2)),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(TinyModelCopy.INDEX) + ": tensor lm_head.weight"
                        + " maps to \"../" + SHARD_2 + "\", expected a file name inside " + model
                        + "; index entries may not point outside the model folder")),
        new Case(
            "shard missing",
            model -> delete(model.resolve(SHARD_2)),
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(TinyModelCopy.INDEX) + ": tensor lm_head.weight"
                        + " maps to shard " + SHARD_2 + ", which is missing; download the complete"
                        + " checkpoint")),
        new Case(
            "shard linked outside the folder",
            CheckpointInputTest::linkShardOutside,
            (model, real) ->
                List.of(
                    "Cannot read " + model.resolve(SHARD_2) + ": it is a symbolic link to "
                        + real.resolveSibling("elsewhere").resolve(SHARD_2) + ", outside the model"
                        + " folder " + real + "; links may point only inside the folder (or into"
                        + " the blobs folder of a Hugging Face hub cache), so copy the file into"
                        + " the folder")),
        new Case(
            "NaN and infinite weights",
            model -> TinyModelCopy.rewriteShard(model, SHARD_1, CheckpointInputTest::poison),
            (model, real) ->
                List.of(
                    "Cannot use checkpoint " + model + ": expected finite weights, but tensor "
                        + DOWN_2 + " in " + SHARD_1 + " has 3 NaN and 1 infinite values of 16384"
                        + " (first at index 17). The checkpoint is corrupt: download or export it"
                        + " again")),
        new Case(
            "unknown model_type",
            model -> TinyModelCopy.editConfig(model, c -> TinyModelCopy.textConfig(c).put("model_type", "qwen9")),
            (model, real) ->
                List.of(
                    "Cannot load " + model.resolve("config.json") + ": model_type \"qwen9\" is not"
                        + " supported: expected one of qwen3_5, qwen3_5_text, qwen3_5_moe,"
                        + " qwen3_5_moe_text, qwen3_next or llama")),
        new Case(
            "value heads not a multiple of key heads",
            model ->
                TinyModelCopy.editConfig(
                    model, c -> TinyModelCopy.textConfig(c).put("linear_num_value_heads", 3)),
            (model, real) ->
                List.of(
                    "Invalid " + model.resolve("config.json") + ": linear_num_value_heads must be a"
                        + " multiple of linear_num_key_heads = 2, found 3")),
        new Case(
            "layer_types shorter than the layer count",
            model ->
                TinyModelCopy.editConfig(
                    model, c -> ((ArrayNode) TinyModelCopy.textConfig(c).get("layer_types")).remove(7)),
            (model, real) ->
                List.of(
                    "Invalid " + model.resolve("config.json") + ": layer_types has 7 entries,"
                        + " expected num_hidden_layers = 8")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void runRejectsBrokenModel(Case broken) throws IOException {
    Path model = TinyModelCopy.copy(tmp.resolve("models"));
    broken.breakModel().accept(model);
    Path out = tmp.resolve("out");
    Path calibration = TinyModelCopy.calibrationFile(tmp);

    Cli.Result result =
        Cli.run(
            "run",
            "--model", model.toString(),
            "--out", out.toString(),
            "--calibration", calibration.toString(),
            "--spec", SharedModels.repositoryRoot().resolve("conf/sweeps/smoke.yaml").toString(),
            "--shards", "1",
            "--master", "local[1]");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr()).as("stderr").startsWith("bitsweep run: ").endsWith("\n");
    assertThat(result.stderr().lines().count()).as("lines on stderr").isEqualTo(1);
    for (String expected : broken.message().apply(model, model.toRealPath())) {
      assertThat(result.stderr()).as("stderr").contains(expected);
    }
    assertThat(Cli.filesBesideLogs(out)).as("files written under %s", out).isEmpty();
  }

  @Test
  void writeMlxRejectsNonFiniteWeights() {
    Path model = TinyModelCopy.copy(tmp.resolve("models"));
    TinyModelCopy.rewriteShard(model, SHARD_1, CheckpointInputTest::poison);
    Path config = TinyModelCopy.writeFile(tmp, "config.json", "{\"default\": 4}");
    Path out = tmp.resolve("mlx");

    Cli.Result result =
        Cli.run("write-mlx", "--model", model.toString(), "--config", config.toString(), "--out", out.toString());

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .as("stderr")
        .startsWith("bitsweep write-mlx: Cannot use checkpoint " + model + ": expected finite weights")
        .contains(DOWN_2 + " in " + SHARD_1 + " has 3 NaN and 1 infinite values");
    assertThat(out).as("MLX output folder").doesNotExist();
    assertThat(tmp.toFile().list())
        .as("entries of %s: no temporary folder left", tmp)
        .containsExactlyInAnyOrder("models", "config.json");
  }

  /** Sets elements 17, 40 and 41 of layers.2.mlp.down_proj to NaN and element 100 to +Inf. */
  private static TinyModelCopy.StoredTensor poison(TinyModelCopy.StoredTensor tensor) {
    if (!tensor.info().name().equals(DOWN_2)) {
      return tensor;
    }
    ByteBuffer bytes = tensor.bytes();
    bytes.putShort(2 * 17, (short) 0x7FC0); // quiet NaN
    bytes.putShort(2 * 40, (short) 0xFFC1); // negative NaN with a payload
    bytes.putShort(2 * 41, (short) 0x7F81); // signalling NaN
    bytes.putShort(2 * 100, (short) 0x7F80); // +Inf
    return tensor;
  }

  private static void editTensor(Path model, String tensor, Consumer<ObjectNode> edit) {
    TinyModelCopy.editHeader(model, SHARD_1, header -> edit.accept((ObjectNode) header.get(tensor)));
  }

  private static void offsets(ObjectNode entry, long begin, long end) {
    entry.putArray("data_offsets").add(begin).add(end);
  }

  /** Moves shard 2 to a sibling folder and leaves a symbolic link to it in its place. */
  private static void linkShardOutside(Path model) {
    try {
      Path elsewhere = Files.createDirectories(model.resolveSibling("elsewhere"));
      Path moved = Files.move(model.resolve(SHARD_2), elsewhere.resolve(SHARD_2));
      Files.createSymbolicLink(model.resolve(SHARD_2), moved);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.delete(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
