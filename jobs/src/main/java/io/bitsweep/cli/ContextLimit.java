package io.bitsweep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitsweep.safetensors.Checkpoint;
import java.nio.file.Path;
import java.util.OptionalInt;

/** The maximum sequence length of a model, read from its {@code config.json}. */
final class ContextLimit {
  private ContextLimit() {}

  /**
   * Returns {@code max_position_embeddings} from the top level of the model's config.json, or from
   * its {@code text_config}, or nothing when neither states it.
   */
  static OptionalInt maxPositions(Path modelDir) {
    JsonNode config = Checkpoint.readConfigJson(modelDir);
    JsonNode limit = config.path("max_position_embeddings");
    if (limit.isMissingNode()) {
      limit = config.path("text_config").path("max_position_embeddings");
    }
    return limit.canConvertToInt() ? OptionalInt.of(limit.intValue()) : OptionalInt.empty();
  }
}
