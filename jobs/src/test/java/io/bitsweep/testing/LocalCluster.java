package io.bitsweep.testing;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 for tests, started and stopped through {@code
 * scripts/local-cluster} (the same code path users take), with a free master port and its state in
 * a folder of the test's choosing.
 *
 * <p>Besides the master URL it gives a driver's Spark settings ({@link #sparkConf()}), the number
 * of tasks each worker's executors ran, and ways to kill a worker or its executors mid-job.
 */
public final class LocalCluster implements AutoCloseable {
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);

  /**
   * Shape of the cluster.
   *
   * @param workers number of worker JVMs
   * @param coresPerWorker cores each worker offers
   * @param memoryPerWorker memory each worker offers, in Spark's size syntax such as {@code 1g}
   */
  public record Size(int workers, int coresPerWorker, String memoryPerWorker) {
    public Size {
      if (workers < 1 || coresPerWorker < 1) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Invalid cluster size: workers=%d and coresPerWorker=%d must both be >= 1",
                workers,
                coresPerWorker));
      }
      if (memoryPerWorker == null || !memoryPerWorker.matches("[1-9][0-9]*[mMgG]")) {
        throw new IllegalArgumentException(
            "Invalid memoryPerWorker \"" + memoryPerWorker + "\": expected a size like 512m or 1g");
      }
    }

    /** Two workers of one core and 1 GiB each: one 512 MiB executor per worker. */
    public static Size twoWorkers() {
      return new Size(2, 1, "1g");
    }
  }

  private final Path stateDir;
  private final Size size;
  private final String masterUrl;
  private final List<String> applicationJars;
  private final Thread stopAtExit;

  private LocalCluster(Path stateDir, Size size, String masterUrl, List<String> applicationJars) {
    this.stateDir = stateDir;
    this.size = size;
    this.masterUrl = masterUrl;
    this.applicationJars = applicationJars;
    this.stopAtExit = new Thread(this::stop, "local-cluster-stop-at-exit");
    Runtime.getRuntime().addShutdownHook(stopAtExit);
  }

  /**
   * Starts a cluster whose state (Spark home, PIDs, logs, work folders) lives in {@code stateDir},
   * and packages the project's main and test classes as jars for {@code spark.jars}. It needs the
   * build output of {@code mvn test} or {@code mvn package} and never runs Maven itself. A cluster
   * left running in {@code stateDir} by a killed test run is stopped first, and this one stops when
   * the JVM exits if nobody closed it.
   *
   * @throws IllegalStateException with the script's output when the cluster does not come up
   */
  public static LocalCluster start(Path stateDir, Size size) {
    Path dir = stateDir.toAbsolutePath();
    List<String> common = List.of("--dir", dir.toString(), "--no-build");
    List<String> startArgs = new ArrayList<>(common);
    startArgs.addAll(
        List.of(
            "--workers", String.valueOf(size.workers()),
            "--cores-per-worker", String.valueOf(size.coresPerWorker()),
            "--memory-per-worker", size.memoryPerWorker(),
            "--master-port", "0",
            "--ui-port", "0"));
    Scripts.runChecked(SCRIPT_TIMEOUT, "local-cluster", Scripts.arguments("stop", common));
    Scripts.runChecked(SCRIPT_TIMEOUT, "local-cluster", Scripts.arguments("start", startArgs));
    try {
      String url = Files.readString(dir.resolve("master-url")).strip();
      List<String> jarArgs = new ArrayList<>(common);
      jarArgs.add("--test-classes");
      String jars =
          Scripts.runChecked(SCRIPT_TIMEOUT, "local-cluster", Scripts.arguments("jars", jarArgs));
      return new LocalCluster(dir, size, url, Arrays.asList(lastLine(jars).split(",")));
    } catch (IOException | RuntimeException e) {
      Scripts.run(SCRIPT_TIMEOUT, "local-cluster", Scripts.arguments("stop", common));
      throw new IllegalStateException("Cannot use the cluster started in " + dir, e);
    }
  }

  /** Returns the master URL, {@code spark://127.0.0.1:<port>}. */
  public String masterUrl() {
    return masterUrl;
  }

  public Path stateDir() {
    return stateDir;
  }

  public Size size() {
    return size;
  }

  /**
   * Returns the jars of the project's common, jobs and jobs test classes, for {@code spark.jars}.
   */
  public List<String> applicationJars() {
    return applicationJars;
  }

  /**
   * Spark settings for a driver in this JVM: {@code conf/spark-defaults.conf}, then this cluster's
   * master, the application jars, the driver bound to 127.0.0.1, no web UI, one 512 MiB single-core
   * executor per worker core with fast-starting JVM flags, and a first job that waits until every
   * executor has registered (so each worker gets tasks).
   */
  public Map<String, String> sparkConf() {
    Map<String, String> conf = new LinkedHashMap<>(sparkDefaults());
    conf.put("spark.master", masterUrl);
    conf.put("spark.jars", String.join(",", applicationJars));
    conf.put("spark.driver.host", "127.0.0.1");
    conf.put("spark.driver.bindAddress", "127.0.0.1");
    conf.put("spark.ui.enabled", "false");
    conf.put("spark.executor.memory", "512m");
    conf.put("spark.executor.cores", "1");
    // Test jobs are tiny: the C1 compiler and the serial collector start executors faster.
    conf.merge(
        "spark.executor.extraJavaOptions",
        "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        (defaults, testFlags) -> defaults + " " + testFlags);
    conf.put("spark.cores.max", String.valueOf(size.workers() * size.coresPerWorker()));
    conf.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
    conf.put("spark.scheduler.maxRegisteredResourcesWaitingTime", "60s");
    return conf;
  }

  /** Reads the settings in the repository's {@code conf/spark-defaults.conf}. */
  public static Map<String, String> sparkDefaults() {
    Path file = Scripts.repositoryRoot().resolve("conf/spark-defaults.conf");
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
    Map<String, String> conf = new LinkedHashMap<>();
    properties.stringPropertyNames().stream()
        .sorted()
        .forEach(key -> conf.put(key, properties.getProperty(key).strip()));
    return conf;
  }

  /** PID of worker {@code worker} (1-based), from the PID file the script wrote. */
  public long workerPid(int worker) {
    checkWorker(worker);
    Path pidFile = stateDir.resolve("worker-" + worker + ".pid");
    try {
      return Long.parseLong(Files.readString(pidFile).strip());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + pidFile, e);
    }
  }

  /** Returns whether worker {@code worker}'s JVM is still running. */
  public boolean isWorkerAlive(int worker) {
    return ProcessHandle.of(workerPid(worker)).map(ProcessHandle::isAlive).orElse(false);
  }

  /** PIDs of the executor JVMs that worker {@code worker} runs now. */
  public List<Long> executorPids(int worker) {
    return ProcessHandle.of(workerPid(worker)).stream()
        .flatMap(ProcessHandle::children)
        .map(ProcessHandle::pid)
        .toList();
  }

  /**
   * Number of tasks that executors of worker {@code worker} started, over every application this
   * cluster ran: the {@code Running task} lines in the executors' stderr files under the worker's
   * work folder.
   */
  public int tasksRun(int worker) {
    return executorLogLines(worker, "Running task");
  }

  /**
   * Number of lines containing {@code text} in the stderr files of worker {@code worker}'s
   * executors, over every application this cluster ran.
   */
  public int executorLogLines(int worker, String text) {
    checkWorker(worker);
    Path workDir = stateDir.resolve("work/worker-" + worker);
    if (!Files.isDirectory(workDir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(workDir)) {
      return files
          .filter(f -> f.getFileName().toString().equals("stderr"))
          .mapToInt(stderr -> countLines(stderr, text))
          .sum();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + workDir, e);
    }
  }

  /** {@link #tasksRun} of every worker, keyed by worker number. */
  public Map<Integer, Integer> tasksRunByWorker() {
    Map<Integer, Integer> counts = new LinkedHashMap<>();
    for (int worker = 1; worker <= size.workers(); worker++) {
      counts.put(worker, tasksRun(worker));
    }
    return counts;
  }

  /**
   * Kills worker {@code worker} and its executors with SIGKILL, as if its machine died, and waits
   * until they have exited. The master and the driver notice on their own.
   */
  public void killWorker(int worker) {
    ProcessHandle handle = ProcessHandle.of(workerPid(worker)).orElse(null);
    if (handle == null) {
      return;
    }
    List<ProcessHandle> victims = new ArrayList<>(handle.descendants().toList());
    victims.add(0, handle);
    victims.forEach(ProcessHandle::destroyForcibly);
    victims.forEach(LocalCluster::awaitExit);
  }

  /** Kills worker {@code worker}'s executors with SIGKILL, leaving the worker running. */
  public void killExecutors(int worker) {
    List<ProcessHandle> executors =
        executorPids(worker).stream().flatMap(pid -> ProcessHandle.of(pid).stream()).toList();
    executors.forEach(ProcessHandle::destroyForcibly);
    executors.forEach(LocalCluster::awaitExit);
  }

  /** Stops the workers, their executors and the master through {@code scripts/local-cluster}. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(stopAtExit);
    } catch (IllegalStateException shutdownInProgress) {
      return; // the shutdown hook stops the cluster
    }
    stop();
  }

  private void stop() {
    Scripts.runChecked(
        SCRIPT_TIMEOUT, "local-cluster", List.of("stop", "--dir", stateDir.toString()));
  }

  private void checkWorker(int worker) {
    if (worker < 1 || worker > size.workers()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Invalid worker %d: this cluster has workers 1 to %d",
              worker,
              size.workers()));
    }
  }

  private static int countLines(Path stderr, String text) {
    // ISO-8859-1 decodes any byte, so a stray non-UTF-8 byte in a log cannot fail the count.
    try (Stream<String> lines = Files.lines(stderr, StandardCharsets.ISO_8859_1)) {
      return (int) lines.filter(line -> line.contains(text)).count();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read executor log " + stderr, e);
    }
  }

  private static void awaitExit(ProcessHandle process) {
    try {
      process.onExit().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for PID " + process.pid(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("PID " + process.pid() + " did not exit after SIGKILL", e);
    }
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1].strip();
  }
}
