package io.bitsweep.awq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import io.bitsweep.calibration.CalibrationLoader;
import io.bitsweep.calibration.CalibrationSet;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.model.WeightSource;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The trained tiny Qwen3.5 model with activation statistics recorded on its three golden sequences
 * (story, chat, code; 143 tokens), shared by the AWQ tests, and on the default calibration mix.
 */
final class TinyModel {
  static final List<String> GOLDEN = List.of("story", "chat", "code");

  private static LanguageModel model;
  private static List<int[]> sequences;
  private static ActivationStats stats;
  private static ActivationStats calibrationStats;
  private static int calibrationTokens;

  /** Maximum tokens kept of each calibration sample, so that the statistics pass takes seconds. */
  static final int CALIBRATION_MAX_LENGTH = 256;

  private TinyModel() {}

  static synchronized LanguageModel model() {
    if (model == null) {
      model = LanguageModel.open(SharedModels.require(SharedModels.QWEN35_TINY));
    }
    return model;
  }

  /** Returns the token ids of the golden sequences. */
  static synchronized List<int[]> sequences() {
    if (sequences == null) {
      Path golden = SharedModels.require(SharedModels.QWEN35_TINY).resolve("golden");
      List<int[]> ids = new ArrayList<>();
      for (String name : GOLDEN) {
        try {
          JsonNode meta = new ObjectMapper().readTree(golden.resolve(name + ".json").toFile());
          JsonNode array = meta.get("ids");
          int[] values = new int[array.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
          }
          ids.add(values);
        } catch (IOException e) {
          throw new UncheckedIOException("Cannot read golden " + name, e);
        }
      }
      sequences = List.copyOf(ids);
    }
    return sequences;
  }

  /** Returns statistics recorded over the golden sequences, as one batch. */
  static synchronized ActivationStats stats() {
    if (stats == null) {
      stats = record(new ActivationRecorder(model().weights()));
    }
    return stats;
  }

  /**
   * Returns statistics recorded over the default calibration mix ({@code conf/calibration}), each
   * sample cut to {@value #CALIBRATION_MAX_LENGTH} tokens. The mix contains none of the golden
   * sequences, so measurements on them are held out.
   */
  static synchronized ActivationStats calibrationStats() {
    if (calibrationStats == null) {
      CalibrationSet mix =
          CalibrationLoader.builder()
              .model(SharedModels.require(SharedModels.QWEN35_TINY))
              .inputs(List.of(SharedModels.repositoryRoot().resolve("conf/calibration")))
              .maxLength(CALIBRATION_MAX_LENGTH)
              .load();
      List<int[]> ids = mix.samples().stream().map(s -> s.sample().tokenIds()).toList();
      calibrationTokens = ids.stream().mapToInt(sequence -> sequence.length).sum();
      ActivationRecorder recorder = new ActivationRecorder(model().weights());
      ForwardPass pass = model().forwardPass();
      HiddenStates h = pass.embed(ids, recorder);
      pass.layers(h, recorder);
      calibrationStats = recorder.snapshot();
    }
    return calibrationStats;
  }

  /** Returns the number of tokens behind {@link #calibrationStats()}. */
  static synchronized int calibrationTokenCount() {
    calibrationStats();
    return calibrationTokens;
  }

  /** Runs the golden sequences through every layer with {@code recorder} and returns its stats. */
  static ActivationStats record(ActivationRecorder recorder) {
    run(recorder);
    return recorder.snapshot();
  }

  /** Runs the golden sequences through the embedding and every layer, and returns the states. */
  static HiddenStates run(WeightSource weights) {
    ForwardPass pass = model().forwardPass();
    HiddenStates h = pass.embed(sequences(), weights);
    pass.layers(h, weights);
    return h;
  }

  /** Resolves a configuration, given as JSON, against the tiny model's checkpoint. */
  static QuantPlan plan(String json) {
    Checkpoint checkpoint = ((CheckpointWeights) model().weights()).checkpoint();
    Map<String, TensorInfo> tensors = checkpoint.tensors();
    return QuantPlan.resolve(
        QuantConfig.parse(json, "test configuration"),
        tensors,
        QuantPlan.HeadTying.detect(checkpoint.configJson(), tensors));
  }

  static int tokenCount() {
    int count = 0;
    for (int[] sequence : sequences()) {
      count += sequence.length;
    }
    return count;
  }
}
