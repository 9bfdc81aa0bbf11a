package io.bitsweep.jobs;

import io.bitsweep.model.CheckpointWeights;
import io.bitsweep.model.LanguageModel;
import io.bitsweep.safetensors.NonFiniteScan;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models loaded in this JVM, keyed by model id, so each executor opens (memory-maps and
 * validates) a model once and every task on it reuses it.
 */
public final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final Map<String, LanguageModel> MODELS = new ConcurrentHashMap<>();
  private static final Set<String> SCANNED = ConcurrentHashMap.newKeySet();

  private ModelCache() {}

  /** Returns the model of {@code ref}, opening it on first use in this JVM. */
  public static LanguageModel get(ModelRef ref) {
    return MODELS.computeIfAbsent(
        ref.modelId(),
        id -> {
          long start = System.nanoTime();
          LanguageModel model = LanguageModel.open(ref.localPath());
          LOG.info("Opened model {} from {} in {} ms", id, ref.location(), (System.nanoTime() - start) / 1_000_000);
          return model;
        });
  }

  /**
   * Returns the model of {@code ref} like {@link #get}, after checking once per JVM that every
   * weight is finite. The driver calls this before the first job that runs the model, so a bad
   * checkpoint fails there with its own message, not inside a Spark task.
   *
   * @throws io.bitsweep.safetensors.CheckpointException when the checkpoint is invalid or contains
   *     NaN or infinite weights
   */
  public static LanguageModel getVerified(ModelRef ref) {
    LanguageModel model = get(ref);
    if (!SCANNED.contains(ref.modelId())) {
      long start = System.nanoTime();
      NonFiniteScan.requireFinite(((CheckpointWeights) model.weights()).checkpoint());
      SCANNED.add(ref.modelId());
      LOG.info("Checked that every weight of {} is finite in {} ms", ref.modelId(), (System.nanoTime() - start) / 1_000_000);
    }
    return model;
  }
}
