package io.bitsweep.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.model.ExpectedTensor;
import io.bitsweep.model.ModelConfig;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.TensorInfo;
import io.bitsweep.sweep.GeneratedSweep;
import io.bitsweep.sweep.SweepEntry;
import io.bitsweep.sweep.SweepSpec;
import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reports the forward work a sweep spec costs on a model shape when evaluated as a prefix tree, as
 * a fraction of evaluating each configuration independently. It needs only a {@code config.json}
 * (no weights), so it can report for models too large to have here.
 *
 * <p>Usage: {@code SweepCostReport CONFIG_JSON SPEC_YAML}.
 */
public final class SweepCostReport {
  private SweepCostReport() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: SweepCostReport CONFIG_JSON SPEC_YAML");
      System.exit(2);
    }
    JsonNode json = new ObjectMapper().readTree(Path.of(args[0]).toFile());
    System.out.println(report(json, args[0], Path.of(args[1])));
  }

  /** The report text for a model config and a spec. */
  public static String report(JsonNode configJson, String source, Path spec) {
    ModelConfig config = ModelConfig.fromJson(configJson, source);
    Map<String, TensorInfo> tensors = new TreeMap<>();
    for (ExpectedTensor expected : config.expectedTensors()) {
      long bytes = TensorInfo.elementCount(expected.shape()) * DType.BF16.byteSize();
      tensors.put(
          expected.name(),
          new TensorInfo(expected.name(), DType.BF16, expected.shape(), 0, bytes, Path.of(source)));
    }
    CandidateFactory factory =
        new CandidateFactory(
            config, null, tensors, QuantPlan.HeadTying.detect(configJson, tensors), new FakeQuantCache(0));
    GeneratedSweep sweep = SweepSpec.load(spec, config.numHiddenLayers()).generate();
    List<List<String>> signatures = new ArrayList<>();
    for (SweepEntry entry : sweep.entries()) {
      QuantConfig configuration = entry.config();
      signatures.add(factory.signaturesOf(configuration));
    }
    StageCosts costs = StageCosts.of(config, tensors);
    WorkCount work = PrefixTreePlan.count(signatures, costs);
    double head = costs.cost(costs.stageCount() - 1);
    double total = 0;
    for (int stage = 0; stage < costs.stageCount(); stage++) {
      total += costs.cost(stage);
    }
    return String.format(
        Locale.ROOT,
        "%s on %s (%d layers): %d configurations%nforward work as a prefix tree: %s%n"
            + "the head is %.1f%% of one configuration's multiply-adds",
        spec.getFileName(),
        source,
        config.numHiddenLayers(),
        signatures.size(),
        work,
        100 * head / total);
  }
}
