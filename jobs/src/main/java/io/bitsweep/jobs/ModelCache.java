package io.bitsweep.jobs;

import io.bitsweep.model.LanguageModel;
import java.util.Map;
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
}
