package io.bitsweep.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts {@code scripts/s3-server} as its own process and uses it through S3A. */
class S3ServerScriptTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @Test
  void serverStoresObjectsPrivately(@TempDir Path dir) throws Exception {
    List<String> common = List.of("--dir", dir.toString(), "--port", String.valueOf(freePort()));
    Scripts.runChecked(TIMEOUT, "s3-server", Scripts.arguments("start", common));
    try {
      Map<String, String> conf =
          hadoopConf(Scripts.runChecked(TIMEOUT, "s3-server", Scripts.arguments("conf", common)));
      writeAndReadObject(conf);

      assertThat(dir.resolve("data/bitsweep/run/hello.txt"))
          .as("object file in the filesystem store")
          .hasContent("hello from s3a");
      int anonymousStatus = anonymousListingStatus(conf.get("fs.s3a.endpoint") + "/bitsweep");
      assertThat(anonymousStatus).as("HTTP status of an unsigned bucket listing").isEqualTo(403);
    } finally {
      String stopped = Scripts.runChecked(TIMEOUT, "s3-server", Scripts.arguments("stop", common));
      assertThat(stopped).contains("stopped (PID");
    }
    Scripts.Result status = Scripts.run(TIMEOUT, "s3-server", Scripts.arguments("status", common));
    assertThat(status.exitCode()).as("status after stop: %s", status.output()).isEqualTo(3);
  }

  private static void writeAndReadObject(Map<String, String> settings) throws IOException {
    Configuration conf = new Configuration();
    settings.forEach(conf::set);
    conf.set("fs.s3a.attempts.maximum", "1");
    org.apache.hadoop.fs.Path object =
        new org.apache.hadoop.fs.Path("s3a://bitsweep/run/hello.txt");
    try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://bitsweep/"), conf)) {
      try (OutputStream out = fs.create(object)) {
        out.write("hello from s3a".getBytes(StandardCharsets.UTF_8));
      }
      try (FSDataInputStream in = fs.open(object)) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo("hello from s3a");
      }
    }
  }

  /** Parses the {@code --conf spark.hadoop.KEY=VALUE} lines of {@code scripts/s3-server conf}. */
  private static Map<String, String> hadoopConf(String output) {
    Map<String, String> conf = new LinkedHashMap<>();
    for (String line : output.strip().split("\n")) {
      if (line.startsWith("spark.hadoop.")) {
        int eq = line.indexOf('=');
        conf.put(line.substring("spark.hadoop.".length(), eq), line.substring(eq + 1));
      } else {
        assertThat(line).as("line of scripts/s3-server conf").isEqualTo("--conf");
      }
    }
    assertThat(conf).containsKeys("fs.s3a.endpoint", "fs.s3a.access.key", "fs.s3a.secret.key");
    return conf;
  }

  private static int anonymousListingStatus(String url) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).GET().build();
    return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
