package io.bitsweep.calibration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads calibration samples from files and folders.
 *
 * <ul>
 *   <li>A {@code .jsonl} file contains one sample per line (see {@link JsonlSamples}).
 *   <li>Any other file is a source file, read as one {@link TextSample} of category {@code code}
 *       whose id is the file name.
 *   <li>A folder is walked in path order: its {@code .jsonl} files are read as above, its files
 *       with a source extension ({@link #CODE_EXTENSIONS}) become code samples whose id is the
 *       folder's name and the path inside it ({@code src/util/Strings.java}), and other files are
 *       skipped, as are empty source files.
 * </ul>
 *
 * <p>Sample ids must be unique across all inputs; a sample without an id is rejected rather than
 * given a generated one, because ids join the results of different runs.
 */
public final class SampleFiles {
  private static final Logger LOG = LoggerFactory.getLogger(SampleFiles.class);

  /** The category of samples read from source files. */
  public static final String CODE_CATEGORY = "code";

  /** The file extensions that a folder walk reads as source code. */
  public static final Set<String> CODE_EXTENSIONS =
      Set.of(
          "c", "cc", "cpp", "cs", "css", "go", "h", "hpp", "html", "java", "js", "jsx", "kt", "lua",
          "php", "py", "rb", "rs", "scala", "sh", "sql", "swift", "toml", "ts", "tsx", "yaml",
          "yml", "zig");

  private SampleFiles() {}

  /**
   * Reads the samples of every input, in the order given.
   *
   * @throws CalibrationException when an input is missing or invalid, when a folder has no sample,
   *     or when two samples share an id
   */
  public static List<CalibrationSample> read(List<Path> inputs) {
    if (inputs.isEmpty()) {
      throw new CalibrationException(
          "Cannot read calibration samples: no input files or folders were given");
    }
    List<CalibrationSample> samples = new ArrayList<>();
    for (Path input : inputs) {
      samples.addAll(readInput(input));
    }
    requireUniqueIds(samples);
    return samples;
  }

  /** Reads the samples of one JSONL file. */
  public static List<CalibrationSample> readJsonl(Path file) {
    return JsonlSamples.read(file);
  }

  private static List<CalibrationSample> readInput(Path input) {
    if (Files.isDirectory(input)) {
      return readFolder(input);
    }
    if (!Files.isRegularFile(input)) {
      throw new CalibrationException(
          "Cannot read calibration input " + input + ": no such file or folder");
    }
    if (isJsonl(input)) {
      return JsonlSamples.read(input);
    }
    String text = readSource(input);
    if (text.isBlank()) {
      throw new CalibrationException(
          "Cannot read code sample " + input + ": the file is empty; remove it from the inputs");
    }
    return List.of(
        new TextSample(input.getFileName().toString(), CODE_CATEGORY, input.toString(), text));
  }

  private static List<CalibrationSample> readFolder(Path folder) {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new CalibrationException("Cannot list folder " + folder + ": " + e.getMessage(), e);
    }
    List<CalibrationSample> samples = new ArrayList<>();
    int skipped = 0;
    for (Path file : files) {
      if (isJsonl(file)) {
        samples.addAll(JsonlSamples.read(file));
      } else if (CODE_EXTENSIONS.contains(extension(file))) {
        String text = readSource(file);
        if (text.isBlank()) {
          LOG.debug("Skipping empty source file {}", file);
          skipped++;
          continue;
        }
        samples.add(new TextSample(codeId(folder, file), CODE_CATEGORY, file.toString(), text));
      } else {
        LOG.debug("Skipping {}: neither .jsonl nor a source extension", file);
        skipped++;
      }
    }
    if (samples.isEmpty()) {
      throw new CalibrationException(
          "Cannot read calibration folder "
              + folder
              + ": it has no .jsonl file and no source file"
              + " with one of the extensions "
              + String.join(", ", CODE_EXTENSIONS.stream().sorted().toList())
              + " ("
              + skipped
              + " other files)");
    }
    LOG.info("Read {} samples from {} ({} files skipped)", samples.size(), folder, skipped);
    return samples;
  }

  private static String codeId(Path folder, Path file) {
    Path name = folder.toAbsolutePath().normalize().getFileName();
    String relative = folder.relativize(file).toString().replace('\\', '/');
    return name == null ? relative : name + "/" + relative;
  }

  /** Reads a source file as strict UTF-8, rejecting binary files. */
  private static String readSource(Path file) {
    String text;
    try {
      byte[] bytes = Files.readAllBytes(file);
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new CalibrationException(
          "Cannot read code sample "
              + file
              + ": it is not valid UTF-8 text; remove binary files"
              + " from the inputs",
          e);
    } catch (IOException e) {
      throw new CalibrationException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    if (text.indexOf('\0') >= 0) {
      throw new CalibrationException(
          "Cannot read code sample "
              + file
              + ": it contains NUL characters, so it looks binary;"
              + " remove it from the inputs");
    }
    return text;
  }

  private static void requireUniqueIds(List<CalibrationSample> samples) {
    Map<String, CalibrationSample> byId = new HashMap<>();
    for (CalibrationSample sample : samples) {
      CalibrationSample previous = byId.putIfAbsent(sample.id(), sample);
      if (previous != null) {
        throw new CalibrationException(
            "Cannot use sample id "
                + sample.id()
                + " twice: it appears at "
                + previous.source()
                + " and at "
                + sample.source()
                + "; sample ids must be unique across all inputs");
      }
    }
  }

  private static boolean isJsonl(Path file) {
    return extension(file).equals("jsonl");
  }

  private static String extension(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }
}
