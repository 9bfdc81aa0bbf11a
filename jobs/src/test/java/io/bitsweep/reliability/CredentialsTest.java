package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * S3 credentials never reach a log line, an error message or a written table. {@code bitsweep
 * calibrate} writes to the in-process {@link S3Server} with its recognisable fake secret passed as
 * Spark settings (with {@code spark.logConf} on), then fails on a missing bucket and on a wrong
 * secret. Everything logged at INFO and above goes to a file that the test searches, as do stderr
 * and the bytes of every object written.
 */
class CredentialsTest {
  private static final String BUCKET = "bitsweep-credentials";
  private static final String WRONG_SECRET = "bitsweep-wrong-secret-4b1d-never-log-me";
  private static final String APPENDER = "credentials-test";

  @TempDir static Path tmp;

  private static S3Server s3;
  private static Path logFile;

  @BeforeAll
  static void start() {
    s3 = S3Server.start(BUCKET);
    logFile = tmp.resolve("all.log");
    captureInfoLog(logFile);
  }

  @AfterAll
  static void stop() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    LoggerConfig root = context.getConfiguration().getRootLogger();
    root.removeAppender(APPENDER);
    root.setLevel(Level.WARN);
    context.updateLoggers();
    s3.close();
  }

  @Test
  void secretAppearsNowhere() throws IOException {
    Path samples = TinyModelCopy.calibrationFile(tmp);

    Cli.Result written = calibrate(s3.uri("run"), samples, Map.of("spark.logConf", "true"));
    Cli.Result noBucket = calibrate("s3a://no-such-bucket/run", samples, Map.of());
    Cli.Result wrongSecret =
        calibrate(s3.uri("denied"), samples, Map.of("spark.hadoop.fs.s3a.secret.key", WRONG_SECRET));

    assertThat(written.status()).as("exit status of the write; stderr: %s", written.stderr()).isZero();
    assertThat(noBucket.status()).as("exit status with a missing bucket").isEqualTo(1);
    assertThat(noBucket.stderr())
        .as("stderr with a missing bucket")
        .startsWith(
            "bitsweep calibrate: Cannot write table calibration to"
                + " s3a://no-such-bucket/run/calibration: ")
        .contains("The specified bucket does not exist")
        .endsWith(
            "; check --out and, for s3a://, the bucket name, the endpoint and the credentials\n");
    assertThat(wrongSecret.status()).as("exit status with a wrong secret").isEqualTo(1);
    assertThat(wrongSecret.stderr())
        .as("stderr with a wrong secret")
        .startsWith("bitsweep calibrate: Cannot write table calibration to " + s3.uri("denied/calibration"))
        .contains("Status Code: 403");
    for (Cli.Result result : List.of(written, noBucket, wrongSecret)) {
      assertNoSecret("stdout and stderr", result.stdout() + result.stderr());
    }

    List<String> objects = new ArrayList<>();
    try (FileSystem fs = s3FileSystem()) {
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(new org.apache.hadoop.fs.Path(s3.uri("")), true);
      while (files.hasNext()) {
        org.apache.hadoop.fs.Path path = files.next().getPath();
        objects.add(path.toString());
        assertNoSecret("object " + path, read(fs, path));
      }
    }
    assertThat(objects).as("objects written").anyMatch(name -> name.contains("/run/calibration/part-"));
    assertThat(objects).as("objects written").noneMatch(name -> name.contains("_staging-"));

    String log = Files.readString(logFile, StandardCharsets.ISO_8859_1);
    assertThat(log).as("log (%s)", logFile).contains("s3a://" + BUCKET + "/run");
    assertThat(log).as("log (%s)", logFile).contains("Spark configuration:");
    assertThat(log).as("log (%s)", logFile).contains("calibrate failed");
    assertNoSecret("log " + logFile, log);
  }

  private static Cli.Result calibrate(String out, Path samples, Map<String, String> extraConf) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "calibrate",
                "--model", TinyModelCopy.source().toString(),
                "--out", out,
                "--calibration", samples.toString(),
                "--shards", "1",
                "--master", "local[1]"));
    Map<String, String> conf = new java.util.LinkedHashMap<>(s3.sparkConf());
    // A fresh S3A client per command, so a cached one with the right secret is not reused.
    conf.put("spark.hadoop.fs.s3a.impl.disable.cache", "true");
    conf.put("spark.hadoop.fs.s3a.attempts.maximum", "1");
    conf.put("spark.hadoop.fs.s3a.retry.limit", "1");
    conf.putAll(extraConf);
    conf.forEach((key, value) -> args.addAll(List.of("--conf", key + "=" + value)));
    return Cli.run(args.toArray(String[]::new));
  }

  private static void assertNoSecret(String where, String text) {
    assertThat(text).as(where).doesNotContain(S3Server.SECRET_KEY);
    assertThat(text).as(where).doesNotContain(WRONG_SECRET);
  }

  private static FileSystem s3FileSystem() throws IOException {
    Configuration conf = new Configuration();
    s3.hadoopConf().forEach(conf::set);
    return FileSystem.newInstance(URI.create(s3.uri("")), conf);
  }

  private static String read(FileSystem fs, org.apache.hadoop.fs.Path path) throws IOException {
    try (InputStream in = fs.open(path)) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      in.transferTo(bytes);
      return bytes.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** Sends every log event at INFO and above to {@code file}, keeping the console at WARN. */
  private static void captureInfoLog(Path file) {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    org.apache.logging.log4j.core.config.Configuration config = context.getConfiguration();
    FileAppender appender =
        FileAppender.newBuilder()
            .setName(APPENDER)
            .withFileName(file.toString())
            .setLayout(
                PatternLayout.newBuilder()
                    .withConfiguration(config)
                    .withPattern("%d %p %c: %m%n%throwable")
                    .build())
            .setConfiguration(config)
            .build();
    appender.start();
    config.addAppender(appender);
    LoggerConfig root = config.getRootLogger();
    for (Map.Entry<String, Appender> existing : Map.copyOf(root.getAppenders()).entrySet()) {
      root.removeAppender(existing.getKey());
      root.addAppender(existing.getValue(), Level.WARN, null);
    }
    root.addAppender(appender, Level.INFO, null);
    root.setLevel(Level.INFO);
    context.updateLoggers();
  }
}
