package io.bitsweep.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import io.bitsweep.mlx.MlxModel;
import io.bitsweep.mlx.MlxReader;
import io.bitsweep.mlx.MlxWriter;
import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.quant.FakeQuantCache;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.quant.QuantPlan;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep must measure exactly the model that write-mlx writes. */
class CandidateMatchesWrittenModelTest {
  private static final int[] TOKENS = {1, 211, 110, 52, 166, 210, 71, 77, 114, 1163, 3, 860, 134};

  @TempDir Path tmp;

  @Test
  void candidateLogitsEqualWrittenFolderLogits() {
    Path modelDir = SharedModels.require(SharedModels.QWEN35_TINY);
    QuantConfig config =
        QuantConfig.parse(
            "{\"default\": {\"bits\": 4, \"group_size\": 64}, \"groups\": {\"mlp_up\": {\"bits\": 3,"
                + " \"group_size\": 32}, \"gdn_out\": \"bf16\"}}",
            "test");
    Path out = tmp.resolve("mlx");
    MlxWriter.write(modelDir, config, out, MlxWriter.Options.defaults());
    try (LanguageModel model = LanguageModel.open(modelDir);
        MlxModel written = MlxReader.open(out)) {
      Checkpoint checkpoint = ((CheckpointWeights) model.weights()).checkpoint();
      CandidateFactory factory =
          new CandidateFactory(
              model.config(),
              model.weights(),
              checkpoint.tensors(),
              QuantPlan.HeadTying.detect(checkpoint.configJson(), checkpoint.tensors()),
              new FakeQuantCache(64L << 20));
      float[] measured = model.forwardPass().logits(TOKENS, factory.candidate(config).weights());
      float[] served = model.forwardPass().logits(TOKENS, written.weights());
      assertThat(measured).as("sweep logits vs written MLX folder logits").containsExactly(served);
    }
  }
}
