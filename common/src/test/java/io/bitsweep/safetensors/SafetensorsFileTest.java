package io.bitsweep.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
  @TempDir Path tmp;

  @Test
  void readsShardedSharedModel() {
    try (Checkpoint checkpoint = Checkpoint.open(SharedModels.require(SharedModels.QWEN35_TINY))) {
      TensorInfo embed = checkpoint.info("model.language_model.embed_tokens.weight");
      assertThat(embed.dtype()).isEqualTo(DType.BF16);
      assertThat(embed.shape()).containsExactly(2048, 128);
      assertThat(checkpoint.tensors()).containsKey("lm_head.weight");
      float[] values = checkpoint.readFloats("model.language_model.embed_tokens.weight");
      assertThat(values).hasSize(2048 * 128);
      assertThat(values).isNotEqualTo(new float[values.length]);
    }
  }

  @Test
  void writeThenReadRoundTrips() throws IOException {
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "mlx"));
    float[] values = {1.5f, -2.25f, 0f, 3.0e-3f, 7f, -0.5f};
    writer.addFloats("b.weight", DType.F32, new long[] {2, 3}, values);
    writer.addFloats("a.weight", DType.BF16, new long[] {6}, values);
    Path file = tmp.resolve("x.safetensors");
    writer.write(file);
    assertThat(Files.size(file)).isEqualTo(writer.fileBytes());
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.metadata()).containsEntry("format", "mlx");
      assertThat(read.tensors().keySet()).containsExactly("a.weight", "b.weight");
      assertThat(read.readFloats(read.tensors().get("b.weight"))).containsExactly(values);
      assertThat(read.tensors().get("a.weight").fileOffset())
          .isLessThan(read.tensors().get("b.weight").fileOffset());
    }
    String header = new String(Files.readAllBytes(file), 8, 60, StandardCharsets.UTF_8);
    assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"mlx\"},\"a.weight\":{\"data_offsets\"");
  }

  @Test
  void rejectsTruncatedFile() throws IOException {
    Path file = tmp.resolve("t.safetensors");
    Files.write(file, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("t.safetensors")
        .hasMessageContaining("3 bytes")
        .hasMessageContaining("truncated");
  }

  @Test
  void rejectsHeaderLongerThanFile() throws IOException {
    Path file = writeRaw("h.safetensors", 500, "{}");
    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .hasMessageContaining("header length is 500 bytes but only 2 bytes follow");
  }

  @Test
  void rejectsAbsurdHeaderLength() throws IOException {
    Path file = writeRaw("huge.safetensors", 1L << 40, "{}");
    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .hasMessageContaining("header length is 1099511627776 bytes, expected between 2 and");
  }

  @Test
  void rejectsInvalidJson() throws IOException {
    Path file = writeRaw("j.safetensors", -1, "{\"a\": [1, 2");
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("not valid JSON");
  }

  @Test
  void rejectsDeeplyNestedHeader() throws IOException {
    Path file = writeRaw("deep.safetensors", -1, "[".repeat(40) + "]".repeat(40));
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("not valid JSON");
  }

  @Test
  void rejectsUnknownDtype() throws IOException {
    Path file =
        writeRaw("d.safetensors", -1, "{\"w\":{\"dtype\":\"F8_X\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .hasMessageContaining("Cannot read w from")
        .hasMessageContaining("unknown dtype \"F8_X\"");
  }

  @Test
  void rejectsOffsetsOutOfRange() throws IOException {
    Path file =
        writeRaw("o.safetensors", -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .hasMessageContaining("data_offsets [0, 16] lie outside the data section of 8 bytes");
  }

  @Test
  void rejectsShapeDtypeMismatch() throws IOException {
    Path file =
        writeRaw("m.safetensors", -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .hasMessageContaining("hold 8 bytes but shape [3] x F32 needs 12 bytes");
  }

  @Test
  void rejectsOverlappingTensors() throws IOException {
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    Path file = writeRaw("ov.safetensors", -1, header, 12);
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("tensors a (bytes 0..8) and b (bytes 4..12) overlap");
  }

  @Test
  void rejectsIndexEntryOutsideFolder() throws IOException {
    Path model = Files.createDirectory(tmp.resolve("model"));
    Files.writeString(
        model.resolve(Checkpoint.INDEX_FILE),
        "{\"weight_map\":{\"w\":\"../../etc/passwd\"}}");
    assertThatThrownBy(() -> Checkpoint.open(model))
        .hasMessageContaining("tensor w maps to \"../../etc/passwd\"")
        .hasMessageContaining("may not point outside the model folder");
  }

  @Test
  void rejectsMissingShard() throws IOException {
    Path model = Files.createDirectory(tmp.resolve("model2"));
    Files.writeString(
        model.resolve(Checkpoint.INDEX_FILE),
        "{\"weight_map\":{\"w\":\"model-00002-of-00002.safetensors\"}}");
    assertThatThrownBy(() -> Checkpoint.open(model))
        .hasMessageContaining("maps to shard model-00002-of-00002.safetensors, which is missing");
  }

  private Path writeRaw(String name, long declaredLength, String header) throws IOException {
    return writeRaw(name, declaredLength, header, 0);
  }

  private Path writeRaw(String name, long declaredLength, String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    buffer.putLong(declaredLength < 0 ? json.length : declaredLength).put(json);
    Path file = tmp.resolve(name);
    Files.write(file, buffer.array());
    return file;
  }
}
