package io.bitsweep.mlx;

import io.bitsweep.mlx.MlxWriter.OverwriteMode;
import io.bitsweep.safetensors.ModelFolder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output folder of a write: a temporary sibling that is filled first and renamed into place
 * only when complete, so a failed or interrupted write never leaves a partial model under the
 * output name.
 */
final class OutputFolder {
  private static final Logger LOG = LoggerFactory.getLogger(OutputFolder.class);

  /** Files copied from the source folder when present: tokenizer, chat template, generation. */
  private static final Set<String> COPIED_FILES =
      Set.of(
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "added_tokens.json",
          "vocab.json",
          "merges.txt",
          "tokenizer.model",
          "chat_template.jinja",
          "chat_template.json",
          "generation_config.json");

  /** Further suffixes that mlx-lm's tokenizer loader reads, copied as well. */
  private static final List<String> COPIED_SUFFIXES = List.of(".txt", ".jinja", ".tiktoken");

  private OutputFolder() {}

  /**
   * Checks that the output may be written before any work starts.
   *
   * @throws MlxException when the output is the model folder or contains it, is a file, or exists
   *     and {@code overwrite} does not allow replacing it
   */
  static void checkTarget(Path model, Path out, OverwriteMode overwrite) {
    if (model.startsWith(out)) {
      throw new MlxException(
          "Cannot write the MLX model to "
              + out
              + ": it is or contains the source model folder "
              + model
              + "; choose another output folder");
    }
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new MlxException(
          "Cannot write the MLX model to "
              + out
              + ": a file with that name exists; remove it or"
              + " choose another output folder");
    }
    if (Files.exists(out) && overwrite != OverwriteMode.REPLACE) {
      throw existsError(out);
    }
  }

  private static MlxException existsError(Path out) {
    return new MlxException(
        "Cannot write the MLX model to "
            + out
            + ": the folder already exists; pass --overwrite"
            + " to replace it, or choose another output folder");
  }

  /**
   * Creates the temporary sibling folder, creating the output's parent folders if needed. It gets
   * the permissions of any new folder (the umask applies), not the owner-only permissions of
   * {@link Files#createTempDirectory}, because it becomes the published model folder.
   */
  static Path createTemporary(Path out) throws IOException {
    Path parent = out.getParent();
    Files.createDirectories(parent);
    while (true) {
      Path temporary = parent.resolve("." + out.getFileName() + ".tmp-" + UUID.randomUUID());
      try {
        return Files.createDirectory(temporary);
      } catch (FileAlreadyExistsException taken) {
        // Another write chose the same name; draw again.
      }
    }
  }

  /**
   * Copies the tokenizer, chat template and generation files of {@code source} into {@code
   * target} and returns their names. A file that links outside {@code source} is an error, since
   * copying it could publish any file the user can read.
   */
  static List<String> copyAuxiliaryFiles(Path source, Path target) throws IOException {
    List<String> copied = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(source)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        boolean wanted =
            COPIED_FILES.contains(name) || COPIED_SUFFIXES.stream().anyMatch(name::endsWith);
        if (wanted && Files.isRegularFile(file)) {
          ModelFolder.requireInside(source, file);
          // Copying the bytes, not the file, gives the copy the permissions of a new file, so a
          // read-only source file does not make the model's copy read-only.
          try (InputStream in = Files.newInputStream(file)) {
            Files.copy(in, target.resolve(name));
          }
          copied.add(name);
        }
      }
    }
    copied.sort(null);
    return copied;
  }

  /**
   * Moves the finished temporary folder to {@code out}. An existing folder is first moved aside,
   * then deleted once the new one is in place, or moved back if the rename fails.
   */
  static void commit(Path temporary, Path out, OverwriteMode overwrite) throws IOException {
    Path previous = null;
    if (Files.exists(out)) {
      if (overwrite != OverwriteMode.REPLACE) {
        throw existsError(out);
      }
      previous = out.resolveSibling("." + out.getFileName() + ".old-" + System.nanoTime());
      Files.move(out, previous, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      move(temporary, out);
    } catch (FileAlreadyExistsException e) {
      throw existsError(out);
    } catch (IOException | RuntimeException e) {
      if (previous != null) {
        Files.move(previous, out, StandardCopyOption.ATOMIC_MOVE);
      }
      throw e;
    }
    if (previous != null) {
      deleteRecursively(previous);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      // Siblings share a file system, so this is unexpected; a plain rename is the fallback.
      LOG.warn("Atomic rename of {} to {} is not supported; renaming without it", from, to);
      Files.move(from, to);
    }
  }

  /** Deletes a folder and everything in it; a missing folder is not an error. */
  static void deleteRecursively(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(folder)) {
      List<Path> paths = walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList();
      for (Path path : paths) {
        Files.deleteIfExists(path);
      }
    }
  }
}
