package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bitsweep.SharedModels;
import io.bitsweep.safetensors.Checkpoint;
import io.bitsweep.testing.S3Server;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stages the tiny model from file:// and s3a:// folders into a local cache, without Spark. */
class ModelStagingTest {
  private static Path shared;
  private static String sharedHash;

  @TempDir Path tmp;

  @BeforeAll
  static void findModel() {
    shared = SharedModels.require(SharedModels.QWEN35_TINY);
    sharedHash = Checkpoint.contentHash(shared);
  }

  @Test
  void fileUriStagesOnceThenReuses() throws IOException {
    Path source = copyModel(tmp.resolve("remote"));
    Files.createDirectories(source.resolve("extra"));
    Files.writeString(source.resolve("extra/notes.txt"), "not staged");
    Path cache = tmp.resolve("cache");

    ModelStaging.Staged first =
        ModelStaging.stage(source.toUri().toString(), null, null, new Configuration(), cache);
    ModelStaging.Staged second =
        ModelStaging.stage(source.toUri().toString(), null, null, new Configuration(), cache);

    assertThat(first.downloaded()).as("first staging downloads").isTrue();
    assertThat(first.contentHash()).isEqualTo(sharedHash);
    assertThat(first.modelId()).isEqualTo("qwen35-tiny-stories@" + sharedHash.substring(0, 16));
    assertThat(first.directory()).isEqualTo(cache.resolve(first.modelId()));
    assertThat(first.fileSizes()).isEqualTo(sizesOf(shared));
    assertThat(Checkpoint.contentHash(first.directory())).isEqualTo(sharedHash);
    assertThat(first.directory().resolve("extra")).as("subfolders are not staged").doesNotExist();
    assertThat(second.downloaded()).as("second staging reuses the copy").isFalse();
    assertThat(second.directory()).isEqualTo(first.directory());
    try (Stream<Path> entries = Files.list(cache)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .as("no temporary folder left in the cache")
          .noneMatch(name -> name.startsWith(".tmp-"));
    }
  }

  @Test
  void damagedCopyIsStagedAgain() throws IOException {
    Path cache = tmp.resolve("cache");
    String uri = shared.toUri().toString();
    ModelStaging.Staged first =
        ModelStaging.stage(uri, sharedHash, null, new Configuration(), cache);
    Path weights = first.directory().resolve("model-00001-of-00002.safetensors");
    Files.write(weights, new byte[10]);

    ModelStaging.Staged again =
        ModelStaging.stage(uri, sharedHash, null, new Configuration(), cache);

    assertThat(again.downloaded()).as("a truncated file forces a new copy").isTrue();
    assertThat(Files.size(weights)).isEqualTo(Files.size(shared.resolve(weights.getFileName())));
    assertThat(Checkpoint.contentHash(again.directory())).isEqualTo(sharedHash);
  }

  @Test
  void wrongExpectedHashFails() throws IOException {
    Path cache = tmp.resolve("cache");
    String expected = "0".repeat(64);

    assertThatThrownBy(
            () ->
                ModelStaging.stage(
                    shared.toUri().toString(), expected, null, new Configuration(), cache))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has content hash " + sharedHash)
        .hasMessageContaining("resolved it with hash " + expected)
        .hasMessageContaining("rerun the job");
    try (Stream<Path> entries = Files.list(cache)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .as("cache entries after a failed staging")
          .allMatch(name -> name.equals(".lock") || name.equals(".sources"));
    }
  }

  @Test
  void changedSizesFailOnExecutors() {
    Map<String, Long> sizes = new TreeMap<>(sizesOf(shared));
    sizes.put("config.json", sizes.get("config.json") + 1);

    assertThatThrownBy(
            () ->
                ModelStaging.stage(
                    shared.toUri().toString(),
                    sharedHash,
                    sizes,
                    new Configuration(),
                    tmp.resolve("cache")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("changed since the driver resolved it")
        .hasMessageContaining("config.json=" + sizes.get("config.json"));
  }

  @Test
  void changedSourceIsStagedAgain() throws IOException {
    Path source = copyModel(tmp.resolve("remote"));
    Path cache = tmp.resolve("cache");
    ModelStaging.Staged first =
        ModelStaging.stage(source.toUri().toString(), null, null, new Configuration(), cache);
    Path config = source.resolve("config.json");
    Files.writeString(config, Files.readString(config) + "\n");

    ModelStaging.Staged second =
        ModelStaging.stage(source.toUri().toString(), null, null, new Configuration(), cache);

    assertThat(second.downloaded()).as("a changed source is copied again").isTrue();
    assertThat(second.contentHash())
        .isNotEqualTo(first.contentHash())
        .isEqualTo(Checkpoint.contentHash(source));
    assertThat(first.directory()).as("the first copy stays for jobs still using it").isDirectory();
  }

  @Test
  void concurrentTasksDownloadOnce() throws Exception {
    Path cache = tmp.resolve("cache");
    String uri = shared.toUri().toString();
    Callable<ModelStaging.Staged> task =
        () -> ModelStaging.stage(uri, sharedHash, null, new Configuration(), cache);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<ModelStaging.Staged> results = new ArrayList<>();
    try {
      List<Future<ModelStaging.Staged>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        futures.add(pool.submit(task));
      }
      for (Future<ModelStaging.Staged> future : futures) {
        results.add(future.get());
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(results.stream().filter(ModelStaging.Staged::downloaded).count())
        .as("tasks that downloaded")
        .isEqualTo(1);
    assertThat(results.stream().map(ModelStaging.Staged::directory).distinct()).hasSize(1);
  }

  @Test
  void concurrentJvmsDownloadOnce() throws Exception {
    Path cache = tmp.resolve("cache-jvms");
    Path start = tmp.resolve("start-staging");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> processes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      processes.add(
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  StageInOtherJvm.class.getName(),
                  shared.toUri().toString(),
                  sharedHash,
                  cache.toString(),
                  start.toString())
              .redirectErrorStream(true)
              .start());
    }
    Files.createFile(start);

    List<String> results = new ArrayList<>();
    for (Process process : processes) {
      boolean exited = process.waitFor(2, TimeUnit.MINUTES);
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(exited).as("staging JVM exited; output:%n%s", output).isTrue();
      assertThat(process.exitValue()).as("exit status; output:%n%s", output).isZero();
      results.add(
          output.lines().filter(line -> line.startsWith("downloaded=")).findFirst().orElse(output));
    }

    assertThat(results)
        .as("JVMs that copied the model")
        .filteredOn(line -> line.startsWith("downloaded=true"))
        .hasSize(1);
    String folder = results.get(0).substring(results.get(0).indexOf(" dir="));
    assertThat(results).as("staged folder of every JVM").allMatch(line -> line.endsWith(folder));
    try (Stream<Path> entries = Files.list(cache)) {
      assertThat(entries.map(path -> path.getFileName().toString()))
          .as("cache entries besides the lock and the source list")
          .filteredOn(name -> !name.equals(".lock") && !name.equals(".sources"))
          .hasSize(1);
    }
  }

  @Test
  void missingFolderFails() {
    String uri = tmp.resolve("absent").toUri().toString();

    assertThatThrownBy(
            () -> ModelStaging.stage(uri, null, null, new Configuration(), tmp.resolve("cache")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Model folder " + uri + " does not exist");
  }

  @Test
  void s3aModelStagesWithLocalModelId() throws IOException {
    try (S3Server s3 = S3Server.start("models")) {
      Configuration conf = new Configuration();
      s3.hadoopConf().forEach(conf::set);
      String uri = s3.uri("hf/qwen35-tiny-stories");
      upload(shared, uri, conf);

      ModelStaging.Staged staged = ModelStaging.stage(uri, null, null, conf, tmp.resolve("cache"));
      ModelStaging.Staged reused =
          ModelStaging.stage(
              uri, staged.contentHash(), staged.fileSizes(), conf, tmp.resolve("cache"));

      assertThat(staged.contentHash()).isEqualTo(sharedHash);
      assertThat(staged.modelId()).isEqualTo(ModelRef.resolve(shared.toString()).modelId());
      assertThat(staged.fileSizes()).isEqualTo(sizesOf(shared));
      assertThat(reused.downloaded()).isFalse();
      assertThat(reused.directory()).isEqualTo(staged.directory());
    }
  }

  /** Copies the top-level files of a model folder to s3a://... through S3A. */
  static void upload(Path model, String uri, Configuration conf) throws IOException {
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(uri);
    FileSystem fs = target.getFileSystem(conf);
    try (Stream<Path> files = Files.list(model)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        fs.copyFromLocalFile(
            false,
            true,
            new org.apache.hadoop.fs.Path(file.toUri()),
            new org.apache.hadoop.fs.Path(target, file.getFileName().toString()));
      }
    }
  }

  private Path copyModel(Path parent) throws IOException {
    Path copy = parent.resolve(shared.getFileName());
    Files.createDirectories(copy);
    try (Stream<Path> files = Files.list(shared)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.copy(file, copy.resolve(file.getFileName()));
      }
    }
    return copy;
  }

  private static Map<String, Long> sizesOf(Path folder) {
    Map<String, Long> sizes = new TreeMap<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        sizes.put(file.getFileName().toString(), Files.size(file));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return sizes;
  }
}
