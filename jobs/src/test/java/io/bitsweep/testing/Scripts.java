package io.bitsweep.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the project's scripts under {@code scripts/} from tests, so tests take the same code path as
 * users.
 */
public final class Scripts {
  private Scripts() {}

  /**
   * Output and exit status of a finished script.
   *
   * @param exitCode the process exit status
   * @param output stdout and stderr, interleaved
   */
  public record Result(int exitCode, String output) {}

  /** Finds the repository root: the nearest folder at or above the working folder with scripts/. */
  public static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path candidate = dir; candidate != null; candidate = candidate.getParent()) {
      if (Files.isRegularFile(candidate.resolve("scripts/local-cluster"))
          && Files.isRegularFile(candidate.resolve("conf/jvm.options"))) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "Cannot find the repository root (a folder with scripts/local-cluster) at or above " + dir);
  }

  /** Path of {@code scripts/<name>} in the repository. */
  public static Path script(String name) {
    return repositoryRoot().resolve("scripts").resolve(name);
  }

  /**
   * Runs {@code scripts/<name> args...} from the repository root and waits for it.
   *
   * @throws IllegalStateException naming the command, with its output, when it runs past {@code
   *     timeout}
   */
  public static Result run(Duration timeout, String name, List<String> args) {
    return run(timeout, name, args, Map.of());
  }

  /**
   * Runs {@code scripts/<name> args...} like {@link #run(Duration, String, List)}, with {@code
   * environment} added to this process's environment variables.
   */
  public static Result run(
      Duration timeout, String name, List<String> args, Map<String, String> environment) {
    List<String> command = new ArrayList<>();
    command.add(script(name).toString());
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(repositoryRoot().toFile()).redirectErrorStream(true);
    builder.environment().putAll(environment);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      StringBuffer output = new StringBuffer();
      CompletableFuture<Void> reader = readAsync(process.getInputStream(), output);
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "%s timed out after %ds; output so far:%n%s",
                String.join(" ", command),
                timeout.toSeconds(),
                output));
      }
      reader.get(10, TimeUnit.SECONDS);
      return new Result(process.exitValue(), output.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while running " + command.get(0), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Cannot read the output of " + command.get(0), e);
    }
  }

  /** Returns the argument list {@code command, options...}. */
  public static List<String> arguments(String command, List<String> options) {
    List<String> all = new ArrayList<>();
    all.add(command);
    all.addAll(options);
    return all;
  }

  /**
   * Runs a script like {@link #run} and returns its output.
   *
   * @throws IllegalStateException with the command and its output when the exit status is not 0
   */
  public static String runChecked(Duration timeout, String name, List<String> args) {
    Result result = run(timeout, name, args);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "scripts/%s %s failed with exit status %d:%n%s",
              name,
              String.join(" ", args),
              result.exitCode(),
              result.output()));
    }
    return result.output();
  }

  /** Copies a process's output into {@code sink} as it arrives, so a timeout can show it. */
  private static CompletableFuture<Void> readAsync(InputStream stream, StringBuffer sink) {
    return CompletableFuture.runAsync(
        () -> {
          try (BufferedReader reader =
              new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
              sink.append(line).append('\n');
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
