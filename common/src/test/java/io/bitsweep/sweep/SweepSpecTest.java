package io.bitsweep.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantConfigException;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.quant.QuantPlan.HeadTying;
import io.bitsweep.quant.QuantSetting;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SweepSpecTest {
  private static Path spec(String name) {
    return SharedModels.repositoryRoot().resolve("conf/sweeps").resolve(name);
  }

  private static TensorInfo tensor(String name, long... shape) {
    long bytes = TensorInfo.elementCount(shape) * 2;
    return new TensorInfo(name, DType.BF16, shape, 0, bytes, Path.of("model.safetensors"));
  }

  /**
   * Header entries with the names and shapes of Qwen3.5-0.8B (24 layers, hidden 1024, full
   * attention every fourth layer, vocabulary 248320), without any data.
   */
  static Map<String, TensorInfo> qwen35Small(boolean withHead) {
    Map<String, TensorInfo> tensors = new TreeMap<>();
    String p = "model.language_model.";
    put(tensors, tensor(p + "embed_tokens.weight", 248320, 1024));
    put(tensors, tensor(p + "norm.weight", 1024));
    if (withHead) {
      put(tensors, tensor("lm_head.weight", 248320, 1024));
    }
    for (int i = 0; i < 24; i++) {
      String l = p + "layers." + i + ".";
      put(tensors, tensor(l + "input_layernorm.weight", 1024));
      put(tensors, tensor(l + "post_attention_layernorm.weight", 1024));
      put(tensors, tensor(l + "mlp.gate_proj.weight", 3584, 1024));
      put(tensors, tensor(l + "mlp.up_proj.weight", 3584, 1024));
      put(tensors, tensor(l + "mlp.down_proj.weight", 1024, 3584));
      if ((i + 1) % 4 == 0) {
        put(tensors, tensor(l + "self_attn.q_proj.weight", 4096, 1024));
        put(tensors, tensor(l + "self_attn.k_proj.weight", 512, 1024));
        put(tensors, tensor(l + "self_attn.v_proj.weight", 512, 1024));
        put(tensors, tensor(l + "self_attn.o_proj.weight", 1024, 2048));
        put(tensors, tensor(l + "self_attn.q_norm.weight", 256));
        put(tensors, tensor(l + "self_attn.k_norm.weight", 256));
      } else {
        put(tensors, tensor(l + "linear_attn.in_proj_qkv.weight", 6144, 1024));
        put(tensors, tensor(l + "linear_attn.in_proj_z.weight", 2048, 1024));
        put(tensors, tensor(l + "linear_attn.in_proj_a.weight", 16, 1024));
        put(tensors, tensor(l + "linear_attn.in_proj_b.weight", 16, 1024));
        put(tensors, tensor(l + "linear_attn.out_proj.weight", 1024, 2048));
        put(tensors, tensor(l + "linear_attn.conv1d.weight", 6144, 1, 4));
        put(tensors, tensor(l + "linear_attn.A_log", 16));
        put(tensors, tensor(l + "linear_attn.dt_bias", 16));
        put(tensors, tensor(l + "linear_attn.norm.weight", 128));
      }
    }
    put(tensors, tensor("mtp.fc.weight", 1024, 2048));
    return tensors;
  }

  private static void put(Map<String, TensorInfo> tensors, TensorInfo info) {
    tensors.put(info.name(), info);
  }

  @Test
  void defaultSpecYields121DistinctConfigurations() {
    GeneratedSweep sweep = SweepSpec.load(spec("default.yaml"), 24).generate();
    assertThat(sweep.entries()).hasSize(121);
    assertThat(sweep.duplicates()).isEmpty();
    Set<String> ids = new HashSet<>();
    for (SweepEntry entry : sweep.entries()) {
      ids.add(entry.id());
    }
    assertThat(ids).hasSize(121);
    Map<String, Integer> expected = new LinkedHashMap<>();
    expected.put("uniform-gs64", 7);
    expected.put("uniform-group-sizes", 12);
    expected.put("one-group-at-a-time", 54);
    expected.put("awq", 12);
    expected.put("group-sizes", 18);
    expected.put("mlp-layer-ranges", 4);
    expected.put("gdn-out-layer-ranges", 2);
    expected.put("mlp-grid", 4);
    expected.put("recipes", 8);
    assertThat(sweep.countsByBlock()).containsExactlyEntriesOf(expected);
    assertThat(sweep.describe())
        .startsWith("sweep spec default: 121 configurations (0 duplicates removed)")
        .contains("one-group-at-a-time   vary        54");
  }

  @Test
  void defaultSpecResolvesOnQwen35Layout() {
    GeneratedSweep sweep = SweepSpec.load(spec("default.yaml"), 24).generate();
    Map<String, TensorInfo> untied = qwen35Small(true);
    Map<String, TensorInfo> tied = qwen35Small(false);
    Set<String> untiedResolved = new HashSet<>();
    Set<String> tiedResolved = new HashSet<>();
    int tiedWarnings = 0;
    for (SweepEntry entry : sweep.entries()) {
      QuantPlan plan = QuantPlan.resolve(entry.config(), untied, HeadTying.UNTIED);
      assertThat(plan.warnings()).as(entry.label()).isEmpty();
      untiedResolved.add(plan.resolvedId());
      QuantPlan tiedPlan = QuantPlan.resolve(entry.config(), tied, HeadTying.TIED);
      tiedWarnings += tiedPlan.warnings().size();
      tiedResolved.add(tiedPlan.resolvedId());
    }
    assertThat(untiedResolved).hasSize(121);
    // Tied: the 6 + 2 configurations that vary only lm_head on 4/64 resolve like 4/64 itself.
    assertThat(tiedResolved).hasSize(113);
    assertThat(tiedWarnings).as("lm_head entries in vary blocks and recipes").isEqualTo(8 + 8);
  }

  @Test
  void layerCountExpressionsFollowTheModel() {
    GeneratedSweep deep = SweepSpec.load(spec("default.yaml"), 24).generate();
    GeneratedSweep shallow = SweepSpec.load(spec("default.yaml"), 8).generate();
    assertThat(shallow.entries()).hasSize(121);
    assertThat(String.join("\n", labels(deep))).contains("\"mlp_up@21-23\"");
    assertThat(String.join("\n", labels(shallow)))
        .contains("\"mlp_up@5-7\"", "\"gdn_out@4-6\"")
        .doesNotContain("@21-23");
  }

  @Test
  void layerCountExpressionOutsideModelIsRejected() {
    assertThatThrownBy(() -> SweepSpec.substituteLayerCount("groups: [mlp_up@{L-9}]", 8, "s.yaml"))
        .hasMessageContaining("s.yaml: {L-9} is layer -1 in a model of 8 layers");
  }

  private static List<String> labels(GeneratedSweep sweep) {
    List<String> out = new ArrayList<>();
    for (SweepEntry entry : sweep.entries()) {
      out.add(entry.config().canonicalJson());
    }
    return out;
  }

  @Test
  void uniformBaselineSizes() {
    Map<String, TensorInfo> untied = qwen35Small(true);
    QuantPlan four =
        QuantPlan.resolve(
            QuantConfig.uniform(QuantSetting.affine(4, 64)), untied, HeadTying.UNTIED);
    QuantPlan bf16 =
        QuantPlan.resolve(QuantConfig.uniform(QuantSetting.BF16), untied, HeadTying.UNTIED);
    assertThat(bf16.bitsPerWeight()).isEqualTo(16.0);
    assertThat(four.bitsPerWeight()).isBetween(4.5, 4.51);
    assertThat(bf16.parameterCount()).isEqualTo(four.parameterCount());
  }

  @Test
  void smokeSpecResolvesOnBothTinyModels() {
    GeneratedSweep sweep = SweepSpec.load(spec("smoke.yaml")).generate();
    assertThat(sweep.entries()).hasSize(6);
    assertThat(sweep.entries().get(0).config()).isEqualTo(QuantConfig.uniform(QuantSetting.BF16));
    assertThat(sweep.entries().subList(1, 4))
        .extracting(SweepEntry::label)
        .containsExactly("uniform 8/64", "uniform 4/64", "uniform 2/64");
    try (Checkpoint qwen = Checkpoint.open(SharedModels.require(SharedModels.QWEN35_TINY));
        Checkpoint llama = Checkpoint.open(SharedModels.require(SharedModels.LLAMA_TINY))) {
      for (SweepEntry entry : sweep.entries()) {
        QuantPlan onQwen = QuantPlan.resolve(entry.config(), qwen.tensors(), HeadTying.UNTIED);
        QuantPlan onLlama = QuantPlan.resolve(entry.config(), llama.tensors(), HeadTying.TIED);
        assertThat(onQwen.warnings()).as(entry.label()).isEmpty();
        assertThat(onLlama.warnings()).as(entry.label()).isEmpty();
      }
    }
  }

  @Test
  void duplicatesAreReportedAndRemoved() {
    String yaml =
        """
        name: dup
        blocks:
          - name: uniform
            kind: uniform
            settings: [4, 3]
          - name: vary
            kind: vary
            base: 4
            groups: [mlp_up, embed]
            settings: [4, 3]
        """;
    GeneratedSweep sweep = SweepSpec.parse(yaml, "dup.yaml").generate();
    assertThat(sweep.entries())
        .extracting(SweepEntry::label)
        .containsExactly(
            "uniform 4/64", "uniform 3/64", "mlp_up=3/64 on 4/64", "embed=3/64 on 4/64");
    assertThat(sweep.duplicates()).hasSize(2);
    assertThat(sweep.duplicates().get(0).getValue()).isEqualTo("uniform 4/64");
    assertThat(sweep.describe())
        .contains("duplicate: mlp_up=4/64 on 4/64 (block vary) repeats uniform 4/64");
  }

  @Test
  void gridAndRecipeConfigurations() {
    String yaml =
        """
        name: g
        blocks:
          - name: grid
            kind: grid
            base: {default: 4, groups: {gdn_out: bf16}}
            axes: {mlp_up: [3, "2/32"], attn_qkv@3-7: ["5/64+awq"]}
          - name: r
            kind: recipes
            recipes:
              mine: {default: 3, groups: {embed: 5}}
        """;
    GeneratedSweep sweep = SweepSpec.parse(yaml, "g.yaml").generate();
    assertThat(sweep.entries())
        .extracting(SweepEntry::label)
        .containsExactly(
            "mlp_up=3/64 attn_qkv@3-7=5/64+awq on 4/64 gdn_out=bf16",
            "mlp_up=2/32 attn_qkv@3-7=5/64+awq on 4/64 gdn_out=bf16",
            "mine");
    assertThat(sweep.entries().get(1).config().canonicalJson())
        .isEqualTo(
            "{\"default\":{\"bits\":4,\"group_size\":64},\"groups\":{"
                + "\"attn_qkv@3-7\":{\"awq\":true,\"bits\":5,\"group_size\":64},"
                + "\"gdn_out\":\"bf16\",\"mlp_up\":{\"bits\":2,\"group_size\":32}}}");
  }

  @Test
  void specErrorsNameThePath() {
    assertThatThrownBy(
            () -> SweepSpec.parse("name: x\nblocks:\n  - name: a\n    kind: sweep\n", "s.yaml"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage(
            "s.yaml: blocks[0].kind: unknown kind \"sweep\"; expected uniform, vary, grid or"
                + " recipes");
    assertThatThrownBy(
            () ->
                SweepSpec.parse(
                    "name: x\n"
                        + "blocks:\n"
                        + "  - {name: a, kind: vary, base: 4, groups: [mlp_upp], settings: [3]}\n",
                    "s.yaml"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageStartingWith(
            "s.yaml: blocks[0].groups[0]: unknown layer group \"mlp_upp\"; valid groups are embed");
    assertThatThrownBy(
            () ->
                SweepSpec.parse(
                    "name: x\n"
                        + "blocks:\n"
                        + "  - {name: a, kind: vary, base: 4, groups: [attn_out], settings: [3],"
                        + " awq: true}\n",
                    "s.yaml"))
        .hasMessageContaining("blocks[0]: a.attn_out: AWQ cannot correct attn_out");
    assertThatThrownBy(
            () ->
                SweepSpec.parse(
                    "name: x\nblocks:\n  - {name: a, kind: uniform, settings: [7]}\n", "s.yaml"))
        .hasMessage(
            "s.yaml: blocks[0].settings[0].bits: 7 bits is not supported by MLX affine"
                + " quantization; use one of [2, 3, 4, 5, 6, 8]");
    assertThatThrownBy(
            () ->
                SweepSpec.parse(
                    "name: x\n"
                        + "blocks:\n"
                        + "  - {name: a, kind: uniform, settings: [4]}\n"
                        + "  - {name: a, kind: uniform, settings: [3]}\n",
                    "s.yaml"))
        .hasMessage("s.yaml: blocks[1].name: block name \"a\" is used twice; names must be unique");
    assertThatThrownBy(() -> SweepSpec.parse("name: x\nblocks: [\n", "s.yaml"))
        .hasMessage(
            "s.yaml: malformed document at line 2, column 10: while parsing a flow node; expected"
                + " the node content, but found '<stream end>'");
    assertThatThrownBy(
            () -> SweepSpec.parse("name: x\nblocks:\n  - {name: a, kind: uniform}\n", "s.yaml"))
        .hasMessage("s.yaml: blocks[0].bits: missing");
  }
}
