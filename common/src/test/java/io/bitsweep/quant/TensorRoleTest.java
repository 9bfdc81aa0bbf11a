package io.bitsweep.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.quant.TensorRole.Kind;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.TensorInfo;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TensorRoleTest {

  private static void assertGroup(String name, LayerGroup group, int layer) {
    TensorRole role = TensorRole.of(name);
    assertThat(role.kind()).as(name).isEqualTo(Kind.GROUPED);
    assertThat(role.group()).as(name).isEqualTo(group);
    assertThat(role.layer()).as(name).isEqualTo(layer);
  }

  private static void assertKind(String name, Kind kind) {
    assertThat(TensorRole.of(name).kind()).as(name).isEqualTo(kind);
    assertThat(TensorRole.of(name).group()).as(name).isNull();
  }

  @Test
  void qwen35DenseNames() {
    String p = "model.language_model.layers.17.";
    assertGroup("model.language_model.embed_tokens.weight", LayerGroup.EMBED, -1);
    assertGroup("lm_head.weight", LayerGroup.LM_HEAD, -1);
    assertGroup(p + "self_attn.q_proj.weight", LayerGroup.ATTN_QKV, 17);
    assertGroup(p + "self_attn.k_proj.weight", LayerGroup.ATTN_QKV, 17);
    assertGroup(p + "self_attn.v_proj.weight", LayerGroup.ATTN_QKV, 17);
    assertGroup(p + "self_attn.o_proj.weight", LayerGroup.ATTN_OUT, 17);
    assertGroup(p + "linear_attn.in_proj_qkv.weight", LayerGroup.GDN_IN, 17);
    assertGroup(p + "linear_attn.in_proj_z.weight", LayerGroup.GDN_IN, 17);
    assertGroup(p + "linear_attn.in_proj_a.weight", LayerGroup.GDN_AB, 17);
    assertGroup(p + "linear_attn.in_proj_b.weight", LayerGroup.GDN_AB, 17);
    assertGroup(p + "linear_attn.out_proj.weight", LayerGroup.GDN_OUT, 17);
    assertGroup(p + "mlp.gate_proj.weight", LayerGroup.MLP_UP, 17);
    assertGroup(p + "mlp.up_proj.weight", LayerGroup.MLP_UP, 17);
    assertGroup(p + "mlp.down_proj.weight", LayerGroup.MLP_DOWN, 17);
  }

  @Test
  void moeAndQwen3NextNames() {
    String moe = "model.language_model.layers.3.mlp.";
    assertGroup(moe + "experts.gate_up_proj", LayerGroup.EXPERT_UP, 3);
    assertGroup(moe + "experts.down_proj", LayerGroup.EXPERT_DOWN, 3);
    assertGroup(moe + "shared_expert.gate_proj.weight", LayerGroup.SHARED_EXPERT, 3);
    assertGroup(moe + "shared_expert.up_proj.weight", LayerGroup.SHARED_EXPERT, 3);
    assertGroup(moe + "shared_expert.down_proj.weight", LayerGroup.SHARED_EXPERT, 3);
    assertGroup(moe + "gate.weight", LayerGroup.ROUTER, 3);
    assertGroup(moe + "shared_expert_gate.weight", LayerGroup.ROUTER, 3);
    String next = "model.layers.0.";
    assertGroup(next + "linear_attn.in_proj_qkvz.weight", LayerGroup.GDN_IN, 0);
    assertGroup(next + "linear_attn.in_proj_ba.weight", LayerGroup.GDN_AB, 0);
    assertGroup(next + "mlp.experts.12.gate_proj.weight", LayerGroup.EXPERT_UP, 0);
    assertGroup(next + "mlp.experts.12.up_proj.weight", LayerGroup.EXPERT_UP, 0);
    assertGroup(next + "mlp.experts.12.down_proj.weight", LayerGroup.EXPERT_DOWN, 0);
    assertGroup("model.embed_tokens.weight", LayerGroup.EMBED, -1);
  }

  @Test
  void neverQuantizedDroppedAndUnknown() {
    String p = "model.language_model.layers.2.";
    assertKind(p + "input_layernorm.weight", Kind.NEVER_QUANTIZED);
    assertKind(p + "post_attention_layernorm.weight", Kind.NEVER_QUANTIZED);
    assertKind(p + "linear_attn.norm.weight", Kind.NEVER_QUANTIZED);
    assertKind(p + "linear_attn.conv1d.weight", Kind.NEVER_QUANTIZED);
    assertKind(p + "linear_attn.A_log", Kind.NEVER_QUANTIZED);
    assertKind(p + "linear_attn.dt_bias", Kind.NEVER_QUANTIZED);
    assertKind(p + "self_attn.q_norm.weight", Kind.NEVER_QUANTIZED);
    assertKind(p + "self_attn.q_proj.bias", Kind.NEVER_QUANTIZED);
    assertKind("model.language_model.norm.weight", Kind.NEVER_QUANTIZED);
    assertKind("model.visual.blocks.0.attn.qkv.weight", Kind.DROPPED);
    assertKind("mtp.fc.weight", Kind.DROPPED);
    assertKind("mtp.layers.0.mlp.experts.0.down_proj.weight", Kind.DROPPED);
    assertKind(p + "mlp.new_proj.weight", Kind.UNKNOWN);
    assertThat(TensorRole.of(p + "input_layernorm.weight").layer()).isEqualTo(2);
  }

  @Test
  void sharedQwenModelGroups() {
    Map<LayerGroup, Integer> counts = new EnumMap<>(LayerGroup.class);
    int dropped = 0;
    try (Checkpoint checkpoint = Checkpoint.open(SharedModels.require(SharedModels.QWEN35_TINY))) {
      for (TensorInfo info : checkpoint.tensors().values()) {
        TensorRole role = TensorRole.of(info.name());
        assertThat(role.kind()).as(info.name()).isNotEqualTo(Kind.UNKNOWN);
        if (role.isGrouped()) {
          counts.merge(role.group(), 1, Integer::sum);
        } else if (role.kind() == Kind.DROPPED) {
          dropped++;
        } else {
          assertThat(info.shape().length == 1 || info.name().endsWith("conv1d.weight"))
              .as("%s is 1-D or conv1d", info.name())
              .isTrue();
        }
      }
    }
    // 8 layers: 6 Gated DeltaNet layers and 2 full-attention layers.
    assertThat(counts)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                LayerGroup.EMBED, 1,
                LayerGroup.LM_HEAD, 1,
                LayerGroup.ATTN_QKV, 6,
                LayerGroup.ATTN_OUT, 2,
                LayerGroup.GDN_IN, 12,
                LayerGroup.GDN_AB, 12,
                LayerGroup.GDN_OUT, 6,
                LayerGroup.MLP_UP, 16,
                LayerGroup.MLP_DOWN, 8));
    assertThat(dropped).as("model.visual.* and mtp.* tensors").isEqualTo(2);
  }

  @Test
  void sharedLlamaModelGroups() {
    Map<LayerGroup, Integer> counts = new EnumMap<>(LayerGroup.class);
    try (Checkpoint checkpoint = Checkpoint.open(SharedModels.require(SharedModels.LLAMA_TINY))) {
      for (TensorInfo info : checkpoint.tensors().values()) {
        TensorRole role = TensorRole.of(info.name());
        if (role.isGrouped()) {
          counts.merge(role.group(), 1, Integer::sum);
        } else {
          assertThat(role.kind()).as(info.name()).isEqualTo(Kind.NEVER_QUANTIZED);
        }
      }
    }
    assertThat(counts)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                LayerGroup.LM_HEAD, 1,
                LayerGroup.ATTN_QKV, 6,
                LayerGroup.ATTN_OUT, 2,
                LayerGroup.MLP_UP, 4,
                LayerGroup.MLP_DOWN, 2));
  }

  @Test
  void unknownGroupNameListsValidGroups() {
    assertThatThrownBy(() -> LayerGroup.fromConfigName("mlp_upp", "groups.mlp_upp"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage(
            "groups.mlp_upp: unknown layer group \"mlp_upp\"; valid groups are embed, lm_head,"
                + " attn_qkv, attn_out, gdn_in, gdn_ab, gdn_out, mlp_up, mlp_down, expert_up,"
                + " expert_down, shared_expert, router");
  }
}
