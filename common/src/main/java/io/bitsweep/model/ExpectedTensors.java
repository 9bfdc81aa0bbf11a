package io.bitsweep.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.CheckpointException;
import io.bitsweep.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the tensor list a config implies and checks a checkpoint against it. */
final class ExpectedTensors {
  private static final Logger LOG = LoggerFactory.getLogger(ExpectedTensors.class);

  /** Problems listed in one validation error before the rest are counted. */
  private static final int MAX_LISTED_PROBLEMS = 5;

  private final ModelConfig config;
  private final List<ExpectedTensor> tensors = new ArrayList<>();

  private ExpectedTensors(ModelConfig config) {
    this.config = config;
  }

  static List<ExpectedTensor> of(ModelConfig config) {
    ExpectedTensors builder = new ExpectedTensors(config);
    builder.addAll();
    return List.copyOf(builder.tensors);
  }

  private void add(String name, long... shape) {
    tensors.add(new ExpectedTensor(name, shape));
  }

  private void addAll() {
    long h = config.hiddenSize();
    add(config.embedTensor(), config.vocabSize(), h);
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      String p = config.layerPrefix(i);
      add(p + "input_layernorm.weight", h);
      if (config.layerType(i) == LayerType.FULL_ATTENTION) {
        addAttention(p + "self_attn.");
      } else {
        addLinearAttention(p + "linear_attn.");
      }
      add(p + "post_attention_layernorm.weight", h);
      if (config.isSparseLayer(i)) {
        addMoe(p + "mlp.");
      } else {
        addSwiGlu(p + "mlp.", config.intermediateSize());
      }
    }
    add(config.finalNormTensor(), h);
    if (!config.tieWordEmbeddings()) {
      add(ModelConfig.LM_HEAD, config.vocabSize(), h);
    }
  }

  private void addAttention(String a) {
    AttentionConfig at = config.attention();
    long h = config.hiddenSize();
    long d = at.headDim();
    boolean gated = config.architecture().isQwen();
    add(a + "q_proj.weight", at.numAttentionHeads() * d * (gated ? 2 : 1), h);
    add(a + "k_proj.weight", at.numKeyValueHeads() * d, h);
    add(a + "v_proj.weight", at.numKeyValueHeads() * d, h);
    add(a + "o_proj.weight", h, at.numAttentionHeads() * d);
    if (gated) {
      add(a + "q_norm.weight", d);
      add(a + "k_norm.weight", d);
    }
  }

  private void addLinearAttention(String g) {
    LinearAttentionConfig la = config.linearAttention();
    long h = config.hiddenSize();
    long hv = la.numValueHeads();
    if (config.architecture() == Architecture.QWEN3_NEXT) {
      add(g + "in_proj_qkvz.weight", 2L * la.keyDim() + 2L * la.valueDim(), h);
      add(g + "in_proj_ba.weight", 2 * hv, h);
    } else {
      add(g + "in_proj_qkv.weight", la.convDim(), h);
      add(g + "in_proj_z.weight", la.valueDim(), h);
      add(g + "in_proj_b.weight", hv, h);
      add(g + "in_proj_a.weight", hv, h);
    }
    add(g + "conv1d.weight", la.convDim(), 1, la.convKernelDim());
    add(g + "dt_bias", hv);
    add(g + "A_log", hv);
    add(g + "norm.weight", la.valueHeadDim());
    add(g + "out_proj.weight", h, la.valueDim());
  }

  private void addSwiGlu(String m, long width) {
    long h = config.hiddenSize();
    add(m + "gate_proj.weight", width, h);
    add(m + "up_proj.weight", width, h);
    add(m + "down_proj.weight", h, width);
  }

  private void addMoe(String m) {
    MoeConfig moe = config.moe();
    long h = config.hiddenSize();
    long e = moe.numExperts();
    long im = moe.moeIntermediateSize();
    add(m + "gate.weight", e, h);
    if (config.architecture() == Architecture.QWEN3_NEXT) {
      for (int expert = 0; expert < e; expert++) {
        addSwiGlu(m + "experts." + expert + ".", im);
      }
    } else {
      add(m + "experts.gate_up_proj", e, 2 * im, h);
      add(m + "experts.down_proj", e, h, im);
    }
    addSwiGlu(m + "shared_expert.", moe.sharedExpertIntermediateSize());
    add(m + "shared_expert_gate.weight", 1, h);
  }

  static void validate(ModelConfig config, Checkpoint checkpoint) {
    List<String> problems = new ArrayList<>();
    Set<String> expectedNames = new HashSet<>();
    for (ExpectedTensor expected : of(config)) {
      expectedNames.add(expected.name());
      String problem = check(expected, checkpoint);
      if (problem != null) {
        problems.add(problem);
      }
    }
    if (!problems.isEmpty() && isQuantized(checkpoint.configJson())) {
      // A quantized folder lacks the bf16 tensors, and listing each one would hide the real cause.
      throw new CheckpointException(
          "Cannot load checkpoint "
              + checkpoint.directory()
              + ": its config.json has a quantization entry, so it is an already quantized model"
              + " (such as the output of write-mlx); sweeps and write-mlx start from the"
              + " unquantized Hugging Face checkpoint, so pass that");
    }
    if (!problems.isEmpty()) {
      throw new CheckpointException(describe(config, checkpoint, problems));
    }
    List<String> ignored =
        checkpoint.tensors().keySet().stream()
            .filter(name -> !expectedNames.contains(name) && !isIgnorable(name))
            .sorted()
            .toList();
    if (!ignored.isEmpty()) {
      LOG.warn(
          "Ignoring {} of checkpoint {}, which config.json does not use: {}",
          ignored.size() == 1 ? "1 tensor" : ignored.size() + " tensors",
          checkpoint.directory(),
          ignored.size() <= 5
              ? String.join(", ", ignored)
              : String.join(", ", ignored.subList(0, 5)) + ", ...");
    }
  }

  /** Returns whether config.json describes a quantized model, as MLX and Transformers mark one. */
  private static boolean isQuantized(JsonNode configJson) {
    return configJson.has("quantization") || configJson.has("quantization_config");
  }

  /** Vision tower and multi-token-prediction tensors, which text logits never read. */
  static boolean isIgnorable(String name) {
    return name.startsWith("model.visual.") || name.startsWith("mtp.") || name.contains(".mtp.");
  }

  private static String check(ExpectedTensor expected, Checkpoint checkpoint) {
    if (!checkpoint.contains(expected.name())) {
      return String.format(
          Locale.ROOT,
          "tensor %s is missing (expected shape %s)",
          expected.name(),
          expected.shapeString());
    }
    TensorInfo info = checkpoint.info(expected.name());
    if (!Arrays.equals(info.shape(), expected.shape())) {
      return String.format(
          Locale.ROOT,
          "tensor %s in %s has shape %s, expected %s",
          expected.name(),
          info.file().getFileName(),
          info.shapeString(),
          expected.shapeString());
    }
    if (!info.dtype().isFloating()) {
      return String.format(
          Locale.ROOT,
          "tensor %s in %s has dtype %s, expected BF16, F16 or F32",
          expected.name(),
          info.file().getFileName(),
          info.dtype());
    }
    return null;
  }

  private static String describe(ModelConfig config, Checkpoint checkpoint, List<String> problems) {
    StringBuilder message =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "Cannot load checkpoint %s as model_type %s: ",
                checkpoint.directory(),
                config.architecture().modelTypes().get(0)));
    int listed = Math.min(problems.size(), MAX_LISTED_PROBLEMS);
    message.append(String.join("; ", problems.subList(0, listed)));
    if (problems.size() > listed) {
      message.append(String.format(Locale.ROOT, "; and %d more", problems.size() - listed));
    }
    message.append(". Check that config.json belongs to these safetensors files.");
    return message.toString();
  }
}
