package io.bitsweep.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import io.bitsweep.quant.QuantPlan.Disposition;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.Encoding;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class QuantPlanTest {
  private static final String LAYER = "model.language_model.layers.";
  private static Map<String, TensorInfo> qwenTensors;
  private static Map<String, TensorInfo> llamaTensors;

  @BeforeAll
  static void readHeaders() {
    try (Checkpoint qwen = Checkpoint.open(SharedModels.require(SharedModels.QWEN35_TINY));
        Checkpoint llama = Checkpoint.open(SharedModels.require(SharedModels.LLAMA_TINY))) {
      qwenTensors = new TreeMap<>(qwen.tensors());
      llamaTensors = new TreeMap<>(llama.tensors());
    }
  }

  static TensorInfo tensor(String name, DType dtype, long... shape) {
    long bytes = TensorInfo.elementCount(shape) * dtype.byteSize();
    return new TensorInfo(name, dtype, shape, 0, bytes, Path.of("test.safetensors"));
  }

  private static QuantConfig config(String json) {
    return QuantConfig.parse(json, "test");
  }

  @Test
  void mlxBytesFollowsPackedLayout() {
    TensorInfo linear = tensor("x.weight", DType.BF16, 4096, 4096);
    // 8 MiB of packed 4-bit codes plus 512 KiB each of bf16 scales and biases.
    assertThat(MlxSize.mlxBytes(linear, QuantSetting.affine(4, 64))).isEqualTo(9L << 20);
    assertThat(MlxSize.mlxBytes(linear, QuantSetting.affine(3, 32)))
        .isEqualTo(4096L * 4096 * 3 / 8 + 2 * (4096L * 4096 / 32) * 2);
    TensorInfo f32 = tensor("y.weight", DType.F32, 2, 128);
    assertThat(MlxSize.mlxBytes(f32, QuantSetting.affine(5, 128))).isEqualTo(160 + 2 * 2 * 4);
    assertThat(MlxSize.mlxBytes(f32, QuantSetting.BF16))
        .as("kept in its own dtype")
        .isEqualTo(1024);
    TensorInfo experts = tensor("e", DType.BF16, 4, 256, 128);
    assertThat(MlxSize.mlxBytes(experts, QuantSetting.affine(2, 64)))
        .isEqualTo(4 * 256 * 128 / 4 + 2 * (4 * 256 * 2) * 2);
  }

  @Test
  void mlxBytesEqualsEncodedQuantizedTensor() {
    long[][] shapes = {{64, 128}, {3, 32, 256}};
    for (long[] shape : shapes) {
      for (DType dtype : new DType[] {DType.BF16, DType.F32}) {
        for (int bits : AffineQuantizer.SUPPORTED_BITS) {
          for (int groupSize : AffineQuantizer.SUPPORTED_GROUP_SIZES) {
            float[] values = new float[Math.toIntExact(TensorInfo.elementCount(shape))];
            for (int i = 0; i < values.length; i++) {
              values[i] = (i % 17) * 0.01f - 0.05f;
            }
            QuantizedTensor q = new AffineQuantizer(bits, groupSize).quantize(values, shape, dtype);
            long encoded =
                Encoding.encodeInts(q.words()).remaining()
                    + Encoding.encodeFloats(dtype, q.scales()).remaining()
                    + Encoding.encodeFloats(dtype, q.biases()).remaining();
            TensorInfo info = tensor("w", dtype, shape);
            assertThat(MlxSize.mlxBytes(info, QuantSetting.affine(bits, groupSize)))
                .as("%s %s %d/%d", java.util.Arrays.toString(shape), dtype, bits, groupSize)
                .isEqualTo(encoded);
          }
        }
      }
    }
  }

  @Test
  void uniformFourBitOnQwenModel() {
    QuantPlan plan =
        QuantPlan.resolve(
            QuantConfig.uniform(QuantSetting.affine(4, 64)), qwenTensors, HeadTying.UNTIED);
    assertThat(plan.layerCount()).isEqualTo(8);
    // Sizes computed with Python from the safetensors headers.
    assertThat(plan.mlxBytes()).isEqualTo(831_840);
    assertThat(plan.parameterCount()).isEqualTo(1_456_624);
    assertThat(plan.bitsPerWeight())
        .isCloseTo(4.5685914827711205, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(plan.dispositionCounts())
        .containsEntry(Disposition.QUANTIZED, 64)
        .containsEntry(Disposition.KEPT, 45)
        .containsEntry(Disposition.DROPPED, 2);
    assertThat(plan.entry("mtp.fc.weight").disposition()).isEqualTo(Disposition.DROPPED);
    assertThat(plan.entry(LAYER + "0.linear_attn.A_log").disposition()).isEqualTo(Disposition.KEPT);
    assertThat(plan.entry("lm_head.weight").setting()).isEqualTo(QuantSetting.affine(4, 64));
    assertThat(plan.warnings()).isEmpty();
    assertThat(plan.groupTotals().get(LayerGroup.EMBED).bitsPerWeight()).isEqualTo(4.5);
  }

  @Test
  void rangesOverrideTheirGroup() {
    QuantPlan plan =
        QuantPlan.resolve(
            config(
                "{\"default\": 4, \"groups\": {\"gdn_out@0-2\": \"bf16\", \"mlp_down@4-7\":"
                    + " \"6/32\"}}"),
            qwenTensors,
            HeadTying.UNTIED);
    assertThat(plan.mlxBytes()).isEqualTo(922_976);
    QuantPlan.Entry kept = plan.entry(LAYER + "2.linear_attn.out_proj.weight");
    assertThat(kept.disposition()).isEqualTo(Disposition.KEPT);
    assertThat(kept.role().group()).isEqualTo(LayerGroup.GDN_OUT);
    assertThat(plan.entry(LAYER + "4.linear_attn.out_proj.weight").setting())
        .isEqualTo(QuantSetting.affine(4, 64));
    assertThat(plan.entry(LAYER + "5.mlp.down_proj.weight").setting())
        .isEqualTo(QuantSetting.affine(6, 32));
    assertThat(plan.report())
        .contains("configuration " + plan.config().id())
        .containsPattern(
            "model\\.language_model\\.layers\\.5\\.mlp\\.down_proj\\.weight +mlp_down +5 +\\[128,"
                + " 128\\] +BF16 +6/32 +14336")
        .contains("mlp_down       4/64 (ranges)")
        .contains("total: 922976 bytes, 1456624 parameters, 5.0691 bits per weight");
  }

  @Test
  void rulesMatchingNothingAreErrors() {
    assertThatThrownBy(
            () ->
                QuantPlan.resolve(
                    config("{\"default\": 4, \"groups\": {\"expert_up\": 3, \"attn_qkv@0-2\": 8}}"),
                    qwenTensors,
                    HeadTying.UNTIED))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageContaining("groups.expert_up: matches no tensor in the checkpoint")
        .hasMessageContaining("groups.attn_qkv@0-2: matches no tensor in the checkpoint")
        .hasMessageContaining(
            "the checkpoint has embed, lm_head, attn_qkv@3-7, attn_out@3-7,"
                + " gdn_in@0-6, gdn_ab@0-6, gdn_out@0-6, mlp_up@0-7, mlp_down@0-7");
  }

  @Test
  void layerRangeOutsideModelIsError() {
    assertThatThrownBy(
            () ->
                QuantPlan.resolve(
                    config("{\"default\": 4, \"groups\": {\"gdn_out@4-9\": 8}}"),
                    qwenTensors,
                    HeadTying.UNTIED))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageContaining(
            "groups.gdn_out@4-9: layer range 4-9 is outside the model, which has 8 decoder layers"
                + " (0-7)");
  }

  @Test
  void indivisibleLastDimNamesTensor() {
    Map<String, TensorInfo> tensors = new TreeMap<>();
    String name = "model.layers.0.linear_attn.in_proj_a.weight";
    tensors.put(name, tensor(name, DType.BF16, 48, 96));
    tensors.put(
        "model.embed_tokens.weight", tensor("model.embed_tokens.weight", DType.BF16, 8, 64));
    assertThatThrownBy(
            () ->
                QuantPlan.resolve(
                    QuantConfig.uniform(QuantSetting.affine(4, 64)), tensors, HeadTying.TIED))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageContaining(
            name
                + ": last dimension 96 is not divisible by group size 64; use group size 32 for"
                + " this tensor's group, or keep it in bf16 (setting 4/64 of gdn_ab)");
    QuantPlan fixed =
        QuantPlan.resolve(
            config("{\"default\": 4, \"groups\": {\"gdn_ab\": \"4/32\"}}"),
            tensors,
            HeadTying.TIED);
    assertThat(fixed.entry(name).setting()).isEqualTo(QuantSetting.affine(4, 32));
  }

  @Test
  void tiedHeadDropsLmHeadAndWarns() {
    QuantConfig withHead = config("{\"default\": 4, \"groups\": {\"lm_head\": 6, \"embed\": 5}}");
    QuantPlan plan = QuantPlan.resolve(withHead, qwenTensors, HeadTying.TIED);
    assertThat(plan.entry("lm_head.weight").disposition()).isEqualTo(Disposition.DROPPED);
    assertThat(plan.warnings())
        .containsExactly(
            "groups.lm_head: the head is tied to the embedding, so setting 6/64 does not apply;"
                + " the shared matrix takes the embed setting 5/64");
    QuantPlan withoutHeadRule =
        QuantPlan.resolve(
            config("{\"default\": 4, \"groups\": {\"embed\": 5}}"), qwenTensors, HeadTying.TIED);
    assertThat(withoutHeadRule.resolvedId()).isEqualTo(plan.resolvedId());
    assertThat(withoutHeadRule.config().id()).isNotEqualTo(plan.config().id());
    assertThat(plan.mlxBytes()).isEqualTo(withoutHeadRule.mlxBytes());
  }

  @Test
  void llamaLmHeadServesAsEmbedding() {
    QuantPlan plan =
        QuantPlan.resolve(
            config("{\"default\": 4, \"groups\": {\"embed\": 8}}"), llamaTensors, HeadTying.TIED);
    QuantPlan.Entry head = plan.entry("lm_head.weight");
    assertThat(head.role().group()).isEqualTo(LayerGroup.EMBED);
    assertThat(head.setting()).isEqualTo(QuantSetting.affine(8, 64));
    assertThat(head.note()).contains("it is the embedding");
    assertThat(plan.layerCount()).isEqualTo(2);
    // F32 checkpoint: scales and biases are stored as F32.
    assertThat(head.mlxBytes()).isEqualTo(2048L * 128 + 2 * (2048L * 128 / 64) * 4);
  }

  @Test
  void headTyingFromConfigJson() throws IOException {
    ObjectMapper json = new ObjectMapper();
    assertThat(HeadTying.detect(json.readTree("{\"tie_word_embeddings\": false}"), qwenTensors))
        .isEqualTo(HeadTying.UNTIED);
    assertThat(
            HeadTying.detect(
                json.readTree("{\"text_config\": {\"tie_word_embeddings\": true}}"), qwenTensors))
        .isEqualTo(HeadTying.TIED);
    assertThat(HeadTying.detect(json.readTree("{}"), Map.of())).isEqualTo(HeadTying.TIED);
  }

  @Test
  void unknownMatrixIsKeptWithWarning() {
    Map<String, TensorInfo> tensors = new TreeMap<>();
    String name = "model.layers.0.mlp.new_proj.weight";
    tensors.put(name, tensor(name, DType.BF16, 64, 64));
    QuantPlan plan =
        QuantPlan.resolve(QuantConfig.uniform(QuantSetting.affine(4, 64)), tensors, HeadTying.TIED);
    assertThat(plan.entry(name).disposition()).isEqualTo(Disposition.KEPT);
    assertThat(plan.warnings())
        .singleElement()
        .asString()
        .startsWith(name + " [64, 64] matches no layer group");
  }
}
