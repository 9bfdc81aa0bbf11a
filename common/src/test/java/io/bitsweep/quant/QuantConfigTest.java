package io.bitsweep.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuantConfigTest {
  private static final String EXAMPLE =
      """
      {"default": {"bits": 4, "group_size": 64},
       "groups": {"mlp_up": {"bits": 3, "group_size": 64},
                  "gdn_out": "bf16",
                  "attn_qkv": {"bits": 5, "group_size": 64, "awq": true},
                  "mlp_down@0-3": {"bits": 6, "group_size": 32}}}
      """;

  /** The canonical form of {@link #EXAMPLE}; its id was computed with Python's hashlib. */
  private static final String EXAMPLE_CANONICAL =
      "{\"default\":{\"bits\":4,\"group_size\":64},\"groups\":{"
          + "\"attn_qkv\":{\"awq\":true,\"bits\":5,\"group_size\":64},"
          + "\"gdn_out\":\"bf16\","
          + "\"mlp_down@0-3\":{\"bits\":6,\"group_size\":32},"
          + "\"mlp_up\":{\"bits\":3,\"group_size\":64}}}";

  private static QuantConfig parse(String json) {
    return QuantConfig.parse(json, "config.json");
  }

  @Test
  void exampleResolvesEveryGroup() {
    QuantConfig config = parse(EXAMPLE);
    assertThat(config.settingFor(LayerGroup.MLP_UP, 7)).isEqualTo(QuantSetting.affine(3, 64));
    assertThat(config.settingFor(LayerGroup.GDN_OUT, 0)).isEqualTo(QuantSetting.BF16);
    assertThat(config.settingFor(LayerGroup.ATTN_QKV, 3))
        .isEqualTo(QuantSetting.affine(5, 64).withAwq());
    assertThat(config.settingFor(LayerGroup.MLP_DOWN, 0)).isEqualTo(QuantSetting.affine(6, 32));
    assertThat(config.settingFor(LayerGroup.MLP_DOWN, 3)).isEqualTo(QuantSetting.affine(6, 32));
    assertThat(config.settingFor(LayerGroup.MLP_DOWN, 4)).isEqualTo(QuantSetting.affine(4, 64));
    assertThat(config.settingFor(LayerGroup.EMBED, -1)).isEqualTo(QuantSetting.affine(4, 64));
    assertThat(config.settingFor(LayerGroup.ROUTER, 2)).isEqualTo(QuantSetting.affine(4, 64));
  }

  @Test
  void canonicalJsonAndId() {
    QuantConfig config = parse(EXAMPLE);
    assertThat(config.canonicalJson()).isEqualTo(EXAMPLE_CANONICAL);
    assertThat(config.id()).isEqualTo("0f988fc0f4c99b48");
    assertThat(QuantConfig.uniform(QuantSetting.BF16).id()).isEqualTo("8d16fd29c25b04ca");
    assertThat(config.label())
        .isEqualTo("4/64 attn_qkv=5/64+awq gdn_out=bf16 mlp_down@0-3=6/32 mlp_up=3/64");
  }

  @Test
  void shortFormsAndKeyOrderGiveSameId() {
    String reordered =
        """
        {"groups": {"mlp_down@0-3": "6/32", "attn_qkv": "5/64+awq",
                    "gdn_out": "bf16", "mlp_up": 3},
         "default": {"group_size": 64, "bits": 4, "mode": "affine"}}
        """;
    assertThat(parse(reordered).canonicalJson()).isEqualTo(EXAMPLE_CANONICAL);
    assertThat(parse(reordered)).isEqualTo(parse(EXAMPLE));
  }

  @Test
  void equivalentConfigurationsShareId() {
    QuantConfig plain = parse("{\"default\": 4, \"groups\": {\"mlp_down@0-7\": 6}}");
    QuantConfig redundant =
        parse(
            "{\"default\": 4, \"groups\": {\"embed\": 4, \"mlp_down@0-3\": 6,"
                + " \"mlp_down@4-7\": 6, \"gdn_out@2-5\": 4}}");
    assertThat(redundant.canonicalJson()).isEqualTo(plain.canonicalJson());
    assertThat(redundant.id()).isEqualTo(plain.id());
    assertThat(redundant.rules()).as("rules as written are kept").hasSize(4);
    QuantConfig overlapping =
        parse("{\"default\": 4, \"groups\": {\"mlp_down@0-5\": 6, \"mlp_down@3-7\": 6}}");
    assertThat(overlapping.id()).isEqualTo(plain.id());
  }

  @Test
  void withReplacesSameKey() {
    QuantConfig base = parse(EXAMPLE);
    QuantConfig changed =
        base.with(QuantRule.forGroup(LayerGroup.MLP_UP, QuantSetting.affine(2, 64)));
    assertThat(changed.settingFor(LayerGroup.MLP_UP, 0)).isEqualTo(QuantSetting.affine(2, 64));
    assertThat(changed.settingFor(LayerGroup.MLP_DOWN, 1)).isEqualTo(QuantSetting.affine(6, 32));
    assertThat(changed.rules()).hasSize(4);
  }

  @Test
  void unknownGroupListsValidGroups() {
    assertThatThrownBy(() -> parse("{\"default\": 4, \"groups\": {\"mlp_gate\": 3}}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageStartingWith("config.json: groups.mlp_gate: unknown layer group \"mlp_gate\"")
        .hasMessageContaining("valid groups are embed, lm_head, attn_qkv, attn_out, gdn_in");
  }

  @Test
  void unsupportedBitsAndGroupSizeNameTheField() {
    assertThatThrownBy(() -> parse("{\"default\": {\"bits\": 7, \"group_size\": 64}}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage(
            "config.json: default.bits: 7 bits is not supported by MLX affine quantization;"
                + " use one of [2, 3, 4, 5, 6, 8]");
    assertThatThrownBy(
            () ->
                parse(
                    "{\"default\": 4, \"groups\": {\"mlp_up\": {\"bits\": 3, \"group_size\":"
                        + " 16}}}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage(
            "config.json: groups.mlp_up.group_size: group size 16 is not supported by MLX affine"
                + " quantization; use one of [32, 64, 128]");
  }

  @Test
  void malformedJsonGivesLineAndColumn() {
    assertThatThrownBy(() -> parse("{\"default\": 4,\n \"groups\": {\"mlp_up\" 3}}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageStartingWith("config.json: malformed document at line 2, column 22");
    assertThatThrownBy(() -> parse("{\"default\": 4, \"default\": 5}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageContaining("Duplicate field 'default'");
  }

  @Test
  void wrongTypesNameTheFieldPath() {
    assertThatThrownBy(
            () -> parse("{\"default\": 4, \"groups\": {\"mlp_up\": {\"bits\": \"three\"}}}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage(
            "config.json: groups.mlp_up.bits: expected an integer, found the string \"three\"");
    assertThatThrownBy(() -> parse("{\"default\": 4, \"groups\": {\"mlp_up\": \"four\"}}"))
        .hasMessageStartingWith("config.json: groups.mlp_up: invalid setting \"four\"");
    assertThatThrownBy(() -> parse("{\"default\": 4, \"groups\": [\"mlp_up\"]}"))
        .hasMessage("config.json: groups: expected an object, found a list");
    assertThatThrownBy(() -> parse("{\"groups\": {}}")).hasMessage("config.json: default: missing");
    assertThatThrownBy(() -> parse("{\"default\": 4, \"group\": {}}"))
        .hasMessage("config.json: group: unknown field; expected one of [default, groups]");
    assertThatThrownBy(() -> parse("{\"default\": {\"bits\": 4, \"awq\": \"yes\"}}"))
        .hasMessage("config.json: default.awq: expected true or false, found the string \"yes\"");
  }

  @Test
  void awqOnlyOnCorrectableGroups() {
    assertThatThrownBy(() -> parse("{\"default\": 4, \"groups\": {\"attn_out\": \"5/64+awq\"}}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage(
            "config.json: groups.attn_out: AWQ cannot correct attn_out because no norm or linear"
                + " layer that could absorb the scales feeds it directly; AWQ applies to attn_qkv,"
                + " gdn_in, mlp_up, mlp_down");
    assertThatThrownBy(() -> parse("{\"default\": \"4/64+awq\"}"))
        .hasMessageStartingWith("config.json: default.awq: AWQ is set per group");
    assertThatThrownBy(
            () ->
                parse(
                    "{\"default\": 4, \"groups\": {\"mlp_up\": {\"bits\": 4, \"awq\": true},"
                        + " \"gdn_out\": \"bf16+awq\"}}"))
        .hasMessageStartingWith("config.json: groups.gdn_out: invalid setting \"bf16+awq\"");
  }

  @Test
  void invalidLayerRanges() {
    assertThatThrownBy(() -> parse("{\"default\": 4, \"groups\": {\"gdn_out@5-2\": 8}}"))
        .hasMessage(
            "config.json: groups.gdn_out@5-2: invalid layer range 5-2 for gdn_out; write"
                + " first-last with 0 <= first <= last");
    assertThatThrownBy(() -> parse("{\"default\": 4, \"groups\": {\"embed@0-3\": 8}}"))
        .hasMessage(
            "config.json: groups.embed@0-3: embed is not inside the decoder layers, so it takes no"
                + " layer range; write \"embed\"");
    assertThatThrownBy(
            () -> parse("{\"default\": 4, \"groups\": {\"mlp_down@0-5\": 6, \"mlp_down@4-7\": 8}}"))
        .hasMessage(
            "config.json: groups: mlp_down@0-5 and mlp_down@4-7 overlap with different settings"
                + " (6/64, 8/64); make the ranges disjoint");
    assertThatThrownBy(() -> parse("{\"default\": 4, \"groups\": {\"gdn_out@0-5-7\": 8}}"))
        .hasMessageStartingWith("config.json: groups.gdn_out@0-5-7: invalid key \"gdn_out@0-5-7\"");
  }

  @Test
  void layerRangeOutsideModel() {
    QuantConfig config =
        parse("{\"default\": 4, \"groups\": {\"gdn_out@4-9\": 8, \"gdn_out@3\": 6}}");
    config.checkLayerRanges(10);
    assertThatThrownBy(() -> config.checkLayerRanges(8))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage(
            "groups.gdn_out@4-9: layer range 4-9 is outside the model, which has 8 decoder layers"
                + " (0-7); narrow the range");
    assertThat(config.settingFor(LayerGroup.GDN_OUT, 3)).isEqualTo(QuantSetting.affine(6, 64));
  }

  @Test
  void floatingPointModesAreUnsupported() {
    assertThatThrownBy(
            () -> parse("{\"default\": {\"bits\": 4, \"group_size\": 32, \"mode\": \"mxfp4\"}}"))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("default.mode: Quantization mode mxfp4 is not supported");
    assertThatThrownBy(() -> parse("{\"default\": {\"bits\": 4, \"mode\": \"int4\"}}"))
        .isInstanceOf(QuantConfigException.class)
        .hasMessageContaining("default.mode: unknown quantization mode \"int4\"");
  }

  @Test
  void settingTwiceIsRejected() {
    assertThatThrownBy(
            () ->
                QuantConfig.of(
                    QuantSetting.affine(4, 64),
                    List.of(
                        QuantRule.forGroup(LayerGroup.EMBED, QuantSetting.BF16),
                        QuantRule.forGroup(LayerGroup.EMBED, QuantSetting.affine(8, 64)))))
        .isInstanceOf(QuantConfigException.class)
        .hasMessage("groups.embed: set twice; keep one entry per group");
  }
}
