package io.bitsweep.jobs;

import io.bitsweep.tensor.DType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jars that give a cluster's executors bitsweep's classes, for {@code spark.jars} when a driver
 * started outside {@code spark-submit} (scripts/bitsweep, a test, a notebook) runs on a cluster.
 *
 * <p>Where this JVM loads bitsweep from jars (a release jar, or the module jars of {@code mvn
 * package}), those jars are used. Where it loads them from class folders ({@code target/classes} of
 * a development build), a {@code bitsweep-jobs-*-spark.jar} from {@code mvn -Pdist package} beside
 * them is used if it is newer than every class file, because it also contains the libraries Spark
 * lacks; otherwise each class folder is packed into a jar under {@code java.io.tmpdir}. Thin jars
 * carry no third-party libraries, so executors then need them from their Spark installation, as on
 * the cluster of {@code scripts/local-cluster}.
 */
public final class ApplicationJars {
  private static final Logger LOG = LoggerFactory.getLogger(ApplicationJars.class);

  private ApplicationJars() {}

  /** Returns the application jars as a comma-separated list for {@code spark.jars}. */
  public static String forCluster() {
    List<Path> sources =
        new ArrayList<>(
            new LinkedHashSet<>(
                List.of(codeSource(DType.class), codeSource(ApplicationJars.class))));
    List<String> jars = new ArrayList<>();
    Path release = freshReleaseJar(sources);
    if (release != null) {
      jars.add(release.toString());
    } else {
      for (Path source : sources) {
        jars.add(
            Files.isDirectory(source) ? packClassFolder(source).toString() : source.toString());
      }
    }
    LOG.info("Shipping bitsweep's classes to the executors in spark.jars={}", jars);
    return String.join(",", jars);
  }

  /** Returns the jar file or class folder a class was loaded from. */
  static Path codeSource(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      throw new IllegalStateException(
          "Cannot find where "
              + type.getName()
              + " was loaded from, so spark.jars cannot be set;"
              + " pass --conf spark.jars=<bitsweep-jobs-*-spark.jar>");
    }
    try {
      return Path.of(source.getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("Invalid code source " + source.getLocation(), e);
    }
  }

  /**
   * Returns the spark-submit jar in the jobs module's {@code target/} when every source is a class
   * folder and the jar is newer than all their classes, else null.
   */
  private static Path freshReleaseJar(List<Path> sources) {
    if (!sources.stream().allMatch(Files::isDirectory)) {
      return null;
    }
    Path target = codeSource(ApplicationJars.class).getParent();
    try (Stream<Path> candidates = Files.list(target)) {
      Path jar =
          candidates
              .filter(p -> p.getFileName().toString().matches("bitsweep-jobs-.*-spark\\.jar"))
              .findFirst()
              .orElse(null);
      if (jar == null) {
        return null;
      }
      FileTime built = Files.getLastModifiedTime(jar);
      for (Path source : sources) {
        if (newestFile(source).compareTo(built) > 0) {
          LOG.info("Not shipping {}: classes in {} are newer", jar, source);
          return null;
        }
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Packs a class folder into a jar named after the folder's path and its files' names, sizes and
   * modification times, so an unchanged folder reuses its jar.
   */
  static Path packClassFolder(Path folder) {
    try {
      List<Path> files;
      try (Stream<Path> walk = Files.walk(folder)) {
        files = walk.filter(Files::isRegularFile).sorted().toList();
      }
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(folder.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
      for (Path file : files) {
        String line =
            folder.relativize(file)
                + "\t"
                + Files.size(file)
                + "\t"
                + Files.getLastModifiedTime(file).toMillis()
                + "\n";
        digest.update(line.getBytes(StandardCharsets.UTF_8));
      }
      String module =
          folder.getParent() != null && folder.getParent().getParent() != null
              ? folder.getParent().getParent().getFileName().toString()
              : "classes";
      Path directory = Path.of(System.getProperty("java.io.tmpdir"), "bitsweep-application-jars");
      Files.createDirectories(directory);
      Path jar =
          directory.resolve(
              "bitsweep-"
                  + module
                  + "-"
                  + HexFormat.of().formatHex(digest.digest(), 0, 8)
                  + ".jar");
      if (!Files.isRegularFile(jar)) {
        writeJar(folder, files, jar);
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot pack " + folder + " into a jar: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }

  private static void writeJar(Path folder, List<Path> files, Path jar) throws IOException {
    Path temporary = Files.createTempFile(jar.getParent(), jar.getFileName().toString(), ".tmp");
    try {
      try (OutputStream file = Files.newOutputStream(temporary);
          JarOutputStream out = new JarOutputStream(file)) {
        Set<String> folders = new LinkedHashSet<>();
        for (Path source : files) {
          String name = folder.relativize(source).toString().replace('\\', '/');
          for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
            String parent = name.substring(0, slash + 1);
            if (folders.add(parent)) {
              out.putNextEntry(new JarEntry(parent));
              out.closeEntry();
            }
          }
          out.putNextEntry(new JarEntry(name));
          Files.copy(source, out);
          out.closeEntry();
        }
      }
      Files.move(
          temporary, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  private static FileTime newestFile(Path folder) throws IOException {
    try (Stream<Path> walk = Files.walk(folder)) {
      FileTime newest = FileTime.fromMillis(0);
      for (Path file : walk.filter(Files::isRegularFile).toList()) {
        FileTime time = Files.getLastModifiedTime(file);
        if (time.compareTo(newest) > 0) {
          newest = time;
        }
      }
      return newest;
    }
  }
}
