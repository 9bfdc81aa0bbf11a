package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import io.bitsweep.calibration.LengthPolicy;
import io.bitsweep.calibration.ScoreMode;
import io.bitsweep.jobs.CalibrateJob;
import io.bitsweep.jobs.ModelRef;
import io.bitsweep.jobs.RankJob;
import io.bitsweep.jobs.ReferenceJob;
import io.bitsweep.jobs.Sessions;
import io.bitsweep.jobs.SparkOptions;
import io.bitsweep.jobs.SweepJob;
import io.bitsweep.jobs.TableStore;
import io.bitsweep.kld.ReferenceEncoding;
import io.bitsweep.quant.QuantConfig;
import io.bitsweep.sweep.SweepEntry;
import io.bitsweep.sweep.SweepSpec;
import io.bitsweep.testing.Scripts;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes the notebooks in {@code notebooks/} with {@code scripts/notebooks run}, the way users
 * and CI do, on the tables of a small sweep of the tiny Qwen3.5 model: calibrate, reference, sweep
 * and rank write them once for the class, then each test runs one notebook with {@code
 * BITSWEEP_OUT} naming those tables. A failed cell fails the test. Skipped where Jupyter's
 * nbconvert is not installed.
 */
class SweepNotebooksTest {
  private static final Logger LOG = LoggerFactory.getLogger(SweepNotebooksTest.class);
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RESOURCES = "jobs/src/test/resources/notebooks/";

  @TempDir static Path tmp;
  private static Path out;

  @BeforeAll
  static void writeTables() throws IOException {
    Assumptions.assumeTrue(
        onPath("jupyter-nbconvert"),
        "jupyter-nbconvert is not installed, so notebooks cannot run here; install it with"
            + " apt-get install --no-install-recommends jupyter-notebook jupyter-nbconvert"
            + " python3-ipykernel jupyter-client");
    Path root = Scripts.repositoryRoot();
    ModelRef model = ModelRef.resolve(SharedModels.require(SharedModels.QWEN35_TINY).toString());
    List<QuantConfig> configs = new ArrayList<>();
    for (SweepEntry entry :
        SweepSpec.load(root.resolve(RESOURCES + "sweep.yaml")).generate().entries()) {
      configs.add(entry.config());
    }
    out = tmp.resolve("out");
    long start = System.nanoTime();
    SparkSession spark =
        Sessions.getOrCreate("notebook-tables", new SparkOptions("local[2]", Map.of()));
    try {
      TableStore store = new TableStore(spark, out.toString());
      CalibrateJob.run(
          store,
          new CalibrateJob.Options(
              model,
              List.of(root.resolve(RESOURCES + "calibration.jsonl")),
              256,
              LengthPolicy.TRUNCATE,
              ScoreMode.ASSISTANT,
              2));
      ReferenceJob.run(
          store, new ReferenceJob.Options(model, store.root(), ReferenceEncoding.topK(16)));
      SweepJob.run(store, new SweepJob.Options(model, "notebook-test@1", configs, 16, 0));
      RankJob.run(store, model);
    } finally {
      spark.stop();
    }
    LOG.info("notebook tables: {} configurations in {}", configs.size(), seconds(start));
  }

  @Test
  void leaderboardNotebookRuns() throws IOException {
    List<JsonNode> outputs = execute("leaderboard.ipynb");

    String text = text(outputs);
    assertThat(text).contains("configurations, spec notebook-test@1");
    assertThat(text).contains("rank  label", "mean_kld", "top1_pct", "ppl_ratio");
    assertThat(text)
        .as("the budget line")
        .containsPattern("\\d+ of 12 configurations fit in any bytes and 4\\.500 bits per weight");
    assertThat(text).as("categories of the calibration file").contains("[code, dialogue, story]");
    assertThat(text).contains("ranked by mean KLD on category code");
    assertThat(images(outputs)).as("the Pareto chart").isEqualTo(1);
  }

  @Test
  void sensitivityNotebookRuns() throws IOException {
    List<JsonNode> outputs = execute("sensitivity.ipynb");

    String text = text(outputs);
    assertThat(text).contains("9 one-group-at-a-time configurations over 3 entries");
    assertThat(text).as("settings, most bits first").contains("[8/64, 4/64, 3/64, 2/64]");
    assertThat(text).contains("entry         8/64      4/64      3/64      2/64");
    List<String[]> gridRows =
        text.lines()
            .filter(line -> line.matches("(attn_out|mlp_down|mlp_up) +[0-9.]+ .*"))
            .map(line -> line.split(" +"))
            .toList();
    assertThat(gridRows)
        .extracting(cells -> cells[0])
        .containsExactly("attn_out", "mlp_down", "mlp_up");
    assertThat(gridRows)
        .extracting(cells -> cells[2])
        .as("the 4/64 column is the base configuration in every row")
        .containsOnly(gridRows.get(0)[2]);
    assertThat(text).as("the tail table").contains("p999_kld", "max_kld", "tail_ratio");
    assertThat(images(outputs)).as("the heatmap").isEqualTo(1);
  }

  @Test
  void compareNotebookRuns() throws IOException {
    List<JsonNode> outputs = execute("compare.ipynb");

    String text = text(outputs);
    assertThat(text).contains("first:  rank 1, bf16");
    assertThat(text).containsPattern("second: rank \\d+, 4/64 \\(");
    assertThat(text).contains("category  first_kld  second_kld", "samples  scored_tokens");
    assertThat(text)
        .contains("6 samples scored by both; the second has the higher KLD on 6 of them");
    assertThat(text).contains("story-fox", "code-sum", "dialogue-tea");
  }

  /** Runs one notebook and returns the outputs of all its cells; fails on any failed cell. */
  private static List<JsonNode> execute(String name) throws IOException {
    Path notebook = Scripts.repositoryRoot().resolve("notebooks").resolve(name);
    Path executed = tmp.resolve("executed");
    long start = System.nanoTime();
    Scripts.Result result =
        Scripts.run(
            TIMEOUT,
            "notebooks",
            List.of("run", "--no-build", "--output-dir", executed.toString(), notebook.toString()),
            Map.of(OutputFolder.VARIABLE, out.toString()));
    LOG.info("notebook {} ran in {}", name, seconds(start));

    assertThat(result.exitCode()).as("scripts/notebooks run output:%n%s", result.output()).isZero();
    List<JsonNode> outputs = new ArrayList<>();
    for (JsonNode cell : JSON.readTree(executed.resolve(name).toFile()).path("cells")) {
      cell.path("outputs").forEach(outputs::add);
    }
    assertThat(outputs).extracting(o -> o.path("output_type").asText()).doesNotContain("error");
    return outputs;
  }

  /** Stream text and text/plain results of the outputs, joined. */
  private static String text(List<JsonNode> outputs) {
    StringBuilder joined = new StringBuilder();
    for (JsonNode output : outputs) {
      JsonNode text =
          output.has("text") ? output.get("text") : output.path("data").path("text/plain");
      if (text.isArray()) {
        text.forEach(line -> joined.append(line.asText()));
      } else {
        joined.append(text.asText());
      }
      joined.append('\n');
    }
    return joined.toString();
  }

  private static long images(List<JsonNode> outputs) {
    return outputs.stream().filter(o -> o.path("data").has("image/png")).count();
  }

  private static String seconds(long startNanos) {
    return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - startNanos) / 1e9);
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
  }
}
