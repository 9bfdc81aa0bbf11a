package io.bitsweep;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** One-line descriptions of file-system errors for the messages that the command line prints. */
public final class FileErrors {
  private FileErrors() {}

  /**
   * Describes {@code e} by its path, the problem in plain words and what to check. The JDK's own
   * message for these exceptions is often the bare path, or names the folder that could not be
   * created but not the file that blocks it.
   */
  public static String describe(IOException e) {
    if (e instanceof NoSuchFileException missing) {
      return missing.getFile() + ": no such file or folder; check the path";
    }
    if (e instanceof AccessDeniedException denied) {
      return denied.getFile() + ": permission denied; check its permissions";
    }
    if (e instanceof NotDirectoryException notFolder) {
      return notFolder.getFile() + ": not a folder; check the path";
    }
    if (e instanceof FileSystemException fileError && fileError.getFile() != null) {
      Path path = Path.of(fileError.getFile());
      Path blocking = regularFileAtOrAbove(path);
      if (blocking != null && (e instanceof FileAlreadyExistsException || !blocking.equals(path))) {
        return blocking + ": already exists as a file; remove it or choose another path";
      }
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /**
   * Returns the nearest existing path at or above {@code path} when it is a regular file, which
   * keeps any folder from being created at {@code path}, or null otherwise.
   */
  private static Path regularFileAtOrAbove(Path path) {
    Path existing = path.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null && Files.isRegularFile(existing) ? existing : null;
  }
}
