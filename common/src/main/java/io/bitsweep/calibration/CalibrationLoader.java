package io.bitsweep.calibration;

import io.bitsweep.tokenizer.ChatTemplate;
import io.bitsweep.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the calibration set of one model: reads the samples of the input files and folders ({@link
 * SampleFiles}), renders and tokenizes them with the model's tokenizer and chat template ({@link
 * SampleTokenizer}), leaves out samples that score no position, and assigns shards.
 *
 * <p>Shards are balanced by token count: samples are taken longest first (ties by id) and each goes
 * to the shard with the fewest tokens so far (ties to the lowest index). The assignment depends
 * only on the samples' ids and lengths, so the same inputs and model always give the same shards.
 *
 * <pre>{@code
 * CalibrationSet set = CalibrationLoader.builder()
 *     .model(Path.of("models/qwen3.5-0.8b"))
 *     .inputs(List.of(Path.of("conf/calibration")))
 *     .maxLength(2048)
 *     .shards(16)
 *     .load();
 * }</pre>
 */
public final class CalibrationLoader {
  private static final Logger LOG = LoggerFactory.getLogger(CalibrationLoader.class);

  /** The default maximum length in tokens. */
  public static final int DEFAULT_MAX_LENGTH = 2048;

  private CalibrationLoader() {}

  /** Returns a builder with the defaults: maximum length 2048, truncation, assistant scoring. */
  public static Builder builder() {
    return new Builder();
  }

  /** The inputs and options of a calibration set. */
  public static final class Builder {
    private Path model;
    private List<Path> inputs = List.of();
    private int maxLength = DEFAULT_MAX_LENGTH;
    private LengthPolicy lengthPolicy = LengthPolicy.TRUNCATE;
    private ScoreMode scoreMode = ScoreMode.ASSISTANT;
    private int shards = 1;

    private Builder() {}

    /** Sets the model folder whose tokenizer and chat template are used. */
    public Builder model(Path modelDir) {
      this.model = Objects.requireNonNull(modelDir, "modelDir");
      return this;
    }

    /** Sets the JSONL files, source files and folders to read, in order. */
    public Builder inputs(List<Path> paths) {
      this.inputs = List.copyOf(paths);
      return this;
    }

    /** Sets the maximum number of tokens per sample. */
    public Builder maxLength(int tokens) {
      this.maxLength = tokens;
      return this;
    }

    /** Sets what happens to longer samples. */
    public Builder lengthPolicy(LengthPolicy policy) {
      this.lengthPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Sets which positions of conversations are scored. */
    public Builder scoreMode(ScoreMode mode) {
      this.scoreMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Sets the number of shards, at least 1 and at most the number of scored samples. */
    public Builder shards(int count) {
      this.shards = count;
      return this;
    }

    /**
     * Reads, tokenizes and shards the samples.
     *
     * @throws CalibrationException when an input is invalid, a sample cannot be rendered or is too
     *     long under {@link LengthPolicy#REJECT}, no sample scores a position, or there are fewer
     *     scored samples than shards
     * @throws IllegalArgumentException when the model folder is not set or cannot be loaded
     */
    public CalibrationSet load() {
      if (model == null) {
        throw new IllegalArgumentException("Cannot load calibration samples: no model folder set");
      }
      if (shards < 1) {
        throw new IllegalArgumentException("shards must be at least 1, found " + shards);
      }
      TokenizationOptions options = new TokenizationOptions(maxLength, lengthPolicy, scoreMode);
      List<CalibrationSample> samples = SampleFiles.read(inputs);
      try (Tokenizer tokenizer = Tokenizer.load(model)) {
        Optional<ChatTemplate> template = ChatTemplate.find(model);
        SampleTokenizer sampleTokenizer = new SampleTokenizer(tokenizer, template, options);
        return build(samples, sampleTokenizer);
      }
    }

    private CalibrationSet build(List<CalibrationSample> samples, SampleTokenizer tokenizer) {
      List<TokenizedSample> scoredSamples = new ArrayList<>();
      List<String> zeroScored = new ArrayList<>();
      Map<String, CategoryStats> categories = new HashMap<>();
      for (CalibrationSample sample : samples) {
        TokenizedSample tokenized = tokenizer.tokenize(sample);
        CategoryStats stats = categories.getOrDefault(sample.category(), CategoryStats.EMPTY);
        if (tokenized.scoredCount() == 0) {
          zeroScored.add(sample.id());
          categories.put(sample.category(), stats.plusZeroScored());
        } else {
          scoredSamples.add(tokenized);
          categories.put(sample.category(), stats.plus(tokenized));
        }
      }
      if (!zeroScored.isEmpty()) {
        LOG.warn(
            "Leaving out {} samples that score no position: {}", zeroScored.size(), zeroScored);
      }
      if (scoredSamples.isEmpty()) {
        throw new CalibrationException(
            String.format(
                Locale.ROOT,
                "Cannot calibrate %s: none of the %d samples scores a position (in assistant mode"
                    + " a conversation needs an assistant message that the template renders"
                    + " within the first %d tokens); add assistant turns or score all positions",
                model,
                samples.size(),
                maxLength));
      }
      if (scoredSamples.size() < shards) {
        throw new CalibrationException(
            String.format(
                Locale.ROOT,
                "Cannot split %d scored samples into %d shards: every shard needs a sample; use at"
                    + " most %d shards",
                scoredSamples.size(),
                shards,
                scoredSamples.size()));
      }
      CalibrationSet set =
          new CalibrationSet(assignShards(scoredSamples, shards), shards, categories, zeroScored);
      LOG.info("Calibration set for {}: {} in {} shards", model, set.total(), shards);
      return set;
    }
  }

  /** Assigns each sample to the shard with the fewest tokens, longest samples first. */
  static List<ShardedSample> assignShards(List<TokenizedSample> samples, int shards) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      order.add(i);
    }
    order.sort(
        Comparator.comparingInt((Integer i) -> -samples.get(i).length())
            .thenComparing(i -> samples.get(i).sampleId()));
    // Each entry is {tokens so far, shard index}; the queue yields the lightest shard first.
    PriorityQueue<long[]> load =
        new PriorityQueue<>(
            Comparator.<long[]>comparingLong(entry -> entry[0])
                .thenComparingLong(entry -> entry[1]));
    for (int shard = 0; shard < shards; shard++) {
      load.add(new long[] {0, shard});
    }
    int[] shardOf = new int[samples.size()];
    for (int index : order) {
      long[] lightest = load.poll();
      shardOf[index] = (int) lightest[1];
      lightest[0] += samples.get(index).length();
      load.add(lightest);
    }
    List<ShardedSample> sharded = new ArrayList<>(samples.size());
    for (int i = 0; i < samples.size(); i++) {
      sharded.add(new ShardedSample(shardOf[i], samples.get(i)));
    }
    return sharded;
  }
}
