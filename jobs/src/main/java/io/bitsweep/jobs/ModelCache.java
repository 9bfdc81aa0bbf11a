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
 * The models loaded in this JVM, keyed by model id and local folder, so each executor opens
 * (memory-maps and validates) a model once and every task on it reuses it. The folder is part of
 * the key because two folders can hold the same model id (a local copy and a copy staged from
 * S3), and a model opened from one must not outlive that folder's deletion for users of the other.
 */
public final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final Map<String, LanguageModel> MODELS = new ConcurrentHashMap<>();
  private static final Set<String> SCANNED = ConcurrentHashMap.newKeySet();

  private ModelCache() {}

  /** Returns the model of {@code ref}, opening it on first use in this JVM. */
  public static LanguageModel get(ModelRef ref) {
    ExecutorThreads.configure();
    return MODELS.computeIfAbsent(
        key(ref),
        id -> {
          long start = System.nanoTime();
          LanguageModel model = LanguageModel.open(ref.localPath());
          LOG.info("Opened model {} from {} in {} ms", id, ref.location(), (System.nanoTime() - start) / 1_000_000);
          return model;
        });
  }

  /** Returns the key of {@code ref}'s model in this JVM: its id and its local folder. */
  static String key(ModelRef ref) {
    return ref.modelId() + " at " + ref.localPath();
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
