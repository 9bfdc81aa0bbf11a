package io.bitsweep.awq;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.awq.AwqUnit.Kind;
import io.bitsweep.awq.AwqUnit.Previous;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.model.RandomCheckpoints;
import io.bitsweep.model.RandomCheckpoints.Variant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AwqUnitsTest {
  private static List<AwqUnit> units(Variant variant) {
    return AwqUnits.of(ModelConfig.fromJson(RandomCheckpoints.config(variant), variant.name()));
  }

  @Test
  void tinyQwenHasFourShapes() {
    List<AwqUnit> units = AwqUnits.of(TinyModel.model().config());
    assertThat(units).hasSize(8 * 3);
    String p = "model.language_model.layers.0.";
    assertThat(units.get(0))
        .isEqualTo(
            new AwqUnit(
                Kind.DELTANET_INPUT,
                0,
                p + "input_layernorm.weight",
                Previous.ZERO_CENTERED_NORM,
                List.of(p + "linear_attn.in_proj_qkv.weight", p + "linear_attn.in_proj_z.weight"),
                List.of(p + "linear_attn.in_proj_b.weight", p + "linear_attn.in_proj_a.weight")));
    assertThat(units.get(1).kind()).isEqualTo(Kind.MLP_DOWN);
    assertThat(units.get(1).previous()).isEqualTo(p + "mlp.up_proj.weight");
    assertThat(units.get(1).previousKind()).isEqualTo(Previous.LINEAR_ROWS);
    assertThat(units.get(2).kind()).isEqualTo(Kind.MLP_INPUT);
    assertThat(units.get(2).previous()).isEqualTo(p + "post_attention_layernorm.weight");
    AwqUnit attention = units.get(9);
    assertThat(attention.kind()).isEqualTo(Kind.ATTENTION_INPUT);
    assertThat(attention.layer()).isEqualTo(3);
    assertThat(attention.projections())
        .containsExactly(
            "model.language_model.layers.3.self_attn.q_proj.weight",
            "model.language_model.layers.3.self_attn.k_proj.weight",
            "model.language_model.layers.3.self_attn.v_proj.weight");
  }

  @Test
  void llamaUsesPlainNorms() {
    List<AwqUnit> units = units(Variant.LLAMA);
    assertThat(units)
        .extracting(AwqUnit::kind)
        .containsExactly(
            Kind.ATTENTION_INPUT,
            Kind.MLP_DOWN,
            Kind.MLP_INPUT,
            Kind.ATTENTION_INPUT,
            Kind.MLP_DOWN,
            Kind.MLP_INPUT);
    assertThat(units.get(0).previousKind()).isEqualTo(Previous.PLAIN_NORM);
    assertThat(units.get(0).previous()).isEqualTo("model.layers.0.input_layernorm.weight");
  }

  @Test
  void qwenNextUsesFusedProjections() {
    List<AwqUnit> units = units(Variant.QWEN3_NEXT);
    AwqUnit first = units.get(0);
    assertThat(first.kind()).isEqualTo(Kind.DELTANET_INPUT);
    assertThat(first.projections())
        .containsExactly("model.layers.0.linear_attn.in_proj_qkvz.weight");
    assertThat(first.companions()).containsExactly("model.layers.0.linear_attn.in_proj_ba.weight");
    // Only layer 1 is dense (mlp_only_layers), so only it has MLP units.
    assertThat(units)
        .filteredOn(u -> u.kind() == Kind.MLP_INPUT)
        .extracting(AwqUnit::layer)
        .containsExactly(1);
  }

  @Test
  void moeLayersHaveNoMlpUnits() {
    List<AwqUnit> units = units(Variant.QWEN3_5_MOE);
    assertThat(units).hasSize(4);
    assertThat(units)
        .extracting(AwqUnit::kind)
        .containsOnly(Kind.DELTANET_INPUT, Kind.ATTENTION_INPUT);
  }
}
