package io.bitsweep.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packs class folders for spark.jars and builds Hadoop settings from Spark's, without Spark. */
class ApplicationJarsTest {
  @TempDir Path tmp;

  /** Jars packed under java.io.tmpdir by a test, deleted after it. */
  private final List<Path> packed = new ArrayList<>();

  @AfterEach
  void deletePackedJars() throws IOException {
    for (Path jar : packed) {
      Files.deleteIfExists(jar);
    }
  }

  private Path pack(Path classes) {
    Path jar = ApplicationJars.packClassFolder(classes);
    packed.add(jar);
    return jar;
  }

  @Test
  void classFolderPackedWithEveryFile() throws IOException {
    Path classes = classFolder();

    Path jar = pack(classes);

    try (JarFile file = new JarFile(jar.toFile())) {
      List<String> names =
          Collections.list(file.entries()).stream().map(JarEntry::getName).toList();
      assertThat(names)
          .containsExactly(
              "io/",
              "io/bitsweep/",
              "io/bitsweep/A.class",
              "io/bitsweep/B.class",
              "log.properties");
      assertThat(file.getInputStream(file.getEntry("io/bitsweep/B.class")).readAllBytes())
          .isEqualTo(new byte[] {2, 3});
    }
  }

  @Test
  void unchangedFolderReusesJar() throws IOException {
    Path classes = classFolder();
    Path first = pack(classes);
    FileTime written = Files.getLastModifiedTime(first);

    Path again = pack(classes);
    Files.write(classes.resolve("io/bitsweep/A.class"), new byte[] {9, 9, 9});
    Path changed = pack(classes);

    assertThat(again).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(again))
        .as("reused jar is not rewritten")
        .isEqualTo(written);
    assertThat(changed).as("jar after a class changed").isNotEqualTo(first);
  }

  @Test
  void codeSourceOfThisClassIsTestClasses() {
    assertThat(ApplicationJars.codeSource(ApplicationJarsTest.class))
        .endsWith(Path.of("test-classes"));
  }

  @Test
  void hadoopConfHasOnlySparkHadoopProperties() {
    SparkConf spark =
        new SparkConf(false)
            .set("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9")
            .set("spark.executor.memory", "2g");

    Configuration hadoop = HadoopConfs.fromSparkConf(spark);

    assertThat(hadoop.get("fs.s3a.endpoint")).isEqualTo("http://127.0.0.1:9");
    assertThat(hadoop.get("spark.executor.memory")).isNull();
    assertThat(hadoop.get("executor.memory")).isNull();
  }

  private Path classFolder() throws IOException {
    Path classes = tmp.resolve("module/target/classes");
    Files.createDirectories(classes.resolve("io/bitsweep"));
    Files.write(classes.resolve("io/bitsweep/A.class"), new byte[] {1});
    Files.write(classes.resolve("io/bitsweep/B.class"), new byte[] {2, 3});
    Files.writeString(classes.resolve("log.properties"), "x=1\n");
    return classes;
  }
}
