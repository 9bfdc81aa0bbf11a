package io.bitsweep.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationLoaderTest {
  private static final String USER_ONLY =
      "{\"id\": \"%s\", \"category\": \"dialogue\", \"messages\": [{\"role\": \"user\","
          + " \"content\": \"Hello there.\"}]}";
  private static final String CHAT =
      "{\"id\": \"%s\", \"category\": \"dialogue\", \"messages\": [{\"role\": \"user\","
          + " \"content\": \"Tell me a story.\"}, {\"role\": \"assistant\", \"content\": \"%s\"}]}";

  @TempDir Path tmp;

  @Test
  void loadsShardsAndCounts() throws IOException {
    Path file =
        write(
            "mix.jsonl",
            String.format(CHAT, "c1", "Once upon a time there was a cat."),
            String.format(CHAT, "c2", "A dog ran to the park and played all day."),
            String.format(USER_ONLY, "u1"),
            String.format(CHAT, "c3", "The end."));
    Path code = Files.writeString(tmp.resolve("add.py"), "def add(a, b):\n    return a + b\n");
    CalibrationSet set = loader(List.of(file, code)).shards(2).load();

    assertThat(set.samples())
        .extracting(sharded -> sharded.sample().sampleId())
        .containsExactly("c1", "c2", "c3", "add.py");
    assertThat(set.zeroScoredIds()).containsExactly("u1");
    assertThat(set.shardCount()).isEqualTo(2);
    assertThat(set.shard(0)).isNotEmpty();
    assertThat(set.shard(1)).isNotEmpty();

    CategoryStats dialogue = set.categories().get("dialogue");
    assertThat(dialogue.samples()).isEqualTo(3);
    assertThat(dialogue.zeroScored()).isEqualTo(1);
    long tokens = 0;
    long scored = 0;
    for (ShardedSample sharded : set.samples()) {
      if (sharded.sample().category().equals("dialogue")) {
        tokens += sharded.sample().length();
        scored += sharded.sample().scoredCount();
      }
    }
    assertThat(dialogue.tokens()).isEqualTo(tokens);
    assertThat(dialogue.scoredTokens()).isEqualTo(scored);
    assertThat(set.categories().get("code").samples()).isEqualTo(1);
    assertThat(set.total().samples()).isEqualTo(4);
    assertThat(set.total().zeroScored()).isEqualTo(1);
  }

  @Test
  void loadingTwiceGivesSameShards() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      lines.add(String.format(CHAT, "s" + i, "Story number " + i + " is " + "long ".repeat(i)));
    }
    Path file = write("mix.jsonl", lines.toArray(String[]::new));
    CalibrationSet first = loader(List.of(file)).shards(3).load();
    CalibrationSet second = loader(List.of(file)).shards(3).load();
    assertThat(second.samples()).isEqualTo(first.samples());
  }

  @Test
  void assignsLongestFirstToLightestShard() {
    List<TokenizedSample> samples =
        List.of(
            sample("a", 1),
            sample("b", 10),
            sample("c", 1),
            sample("d", 9),
            sample("e", 8),
            sample("f", 1));
    List<ShardedSample> sharded = CalibrationLoader.assignShards(samples, 2);
    // Longest first: b (10) to shard 0, d (9) to 1, e (8) to 1 (9 < 10), then the ones by id:
    // a to 0 (10 < 17), c to 0, f to 0.
    assertThat(sharded).extracting(ShardedSample::shard).containsExactly(0, 0, 0, 1, 1, 0);
    assertThat(sharded)
        .extracting(s -> s.sample().sampleId())
        .containsExactly("a", "b", "c", "d", "e", "f");
  }

  @Test
  void countsTruncatedSamples() throws IOException {
    Path file =
        write("mix.jsonl", String.format(CHAT, "long", "The cat sat on the mat. ".repeat(20)));
    CalibrationSet set = loader(List.of(file)).maxLength(40).load();
    assertThat(set.total().truncated()).isEqualTo(1);
    assertThat(set.samples().get(0).sample().length()).isEqualTo(40);
  }

  @Test
  void rejectsLongSampleUnderRejectPolicy() throws IOException {
    Path file =
        write("mix.jsonl", String.format(CHAT, "long", "The cat sat on the mat. ".repeat(20)));
    assertThatThrownBy(
            () -> loader(List.of(file)).maxLength(40).lengthPolicy(LengthPolicy.REJECT).load())
        .isInstanceOf(CalibrationException.class)
        .hasMessageStartingWith("Cannot use sample long (" + file + ":1): it has ")
        .hasMessageContaining("more than the maximum length 40");
  }

  @Test
  void allZeroScoredIsAnError() throws IOException {
    Path file = write("mix.jsonl", String.format(USER_ONLY, "u1"), String.format(USER_ONLY, "u2"));
    Path model = SharedModels.require(SharedModels.QWEN35_TINY);
    assertThatThrownBy(() -> loader(List.of(file)).load())
        .isInstanceOf(CalibrationException.class)
        .hasMessage(
            "Cannot calibrate "
                + model
                + ": none of the 2 samples scores a position (in assistant mode a conversation"
                + " needs an assistant message that the template renders within the first 2048"
                + " tokens); add assistant turns or score all positions");
    CalibrationSet all = loader(List.of(file)).scoreMode(ScoreMode.ALL).load();
    assertThat(all.samples()).hasSize(2);
  }

  @Test
  void moreShardsThanSamplesIsAnError() throws IOException {
    Path file =
        write("mix.jsonl", String.format(CHAT, "c1", "Hi."), String.format(CHAT, "c2", "Hey."));
    assertThatThrownBy(() -> loader(List.of(file)).shards(3).load())
        .isInstanceOf(CalibrationException.class)
        .hasMessage(
            "Cannot split 2 scored samples into 3 shards: every shard needs a sample; use at most"
                + " 2 shards");
  }

  @Test
  void invalidOptionsAreRejected() throws IOException {
    Path file = write("mix.jsonl", String.format(CHAT, "c1", "Hi."));
    assertThatThrownBy(() -> loader(List.of(file)).shards(0).load())
        .hasMessage("shards must be at least 1, found 0");
    assertThatThrownBy(() -> loader(List.of(file)).maxLength(1).load())
        .hasMessageContaining("maxLength must be at least 2");
    assertThatThrownBy(() -> CalibrationLoader.builder().inputs(List.of(file)).load())
        .hasMessage("Cannot load calibration samples: no model folder set");
    assertThatThrownBy(() -> loader(List.of()).load())
        .hasMessage("Cannot read calibration samples: no input files or folders were given");
  }

  @Test
  void shardIndexIsChecked() throws IOException {
    Path file = write("mix.jsonl", String.format(CHAT, "c1", "Hi."));
    CalibrationSet set = loader(List.of(file)).load();
    assertThatThrownBy(() -> set.shard(1))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("shard 1 does not exist; shards are 0 to 0");
  }

  private static CalibrationLoader.Builder loader(List<Path> inputs) {
    return CalibrationLoader.builder()
        .model(SharedModels.require(SharedModels.QWEN35_TINY))
        .inputs(inputs);
  }

  private static TokenizedSample sample(String id, int length) {
    boolean[] mask = new boolean[length];
    if (length > 1) {
      mask[0] = true;
    }
    return new TokenizedSample(id, "dialogue", new int[length], mask, length);
  }

  private Path write(String name, String... lines) throws IOException {
    return Files.writeString(tmp.resolve(name), String.join("\n", lines) + "\n");
  }
}
