package io.bitsweep.testing;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

/**
 * An S3-compatible server inside the test JVM (S3Proxy 4.1.0 with an in-memory store), bound to
 * 127.0.0.1 on a free port, with AWS signature v4 authentication and one bucket.
 *
 * <p>The fake access key and secret are recognisable strings, so a test can check that the secret
 * never reaches a log file or an exception message.
 */
public final class S3Server implements AutoCloseable {
  /** Access key id the server accepts. */
  public static final String ACCESS_KEY = "BITSWEEPTESTACCESSKEY";

  /** Secret key the server accepts. No log line or error message may contain it. */
  public static final String SECRET_KEY = "bitsweep-fake-secret-0d1e2a3d-never-log-me";

  /** Region that S3A signs requests for. S3Proxy accepts any region. */
  public static final String REGION = "us-east-1";

  private final S3Proxy proxy;
  private final String bucket;

  private S3Server(S3Proxy proxy, String bucket) {
    this.proxy = proxy;
    this.bucket = bucket;
  }

  /**
   * Starts a server with one empty bucket named {@code bucket}.
   *
   * @throws IllegalStateException when the server does not start within 30 s
   */
  public static S3Server start(String bucket) {
    TransientNio2BlobStore store = new TransientNio2BlobStore();
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    try {
      proxy.start();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "S3Proxy did not start within 30 s; its state is " + proxy.getState());
        }
        Thread.sleep(5);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while starting S3Proxy", e);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start S3Proxy on 127.0.0.1: " + e.getMessage(), e);
    }
    store.createContainer(bucket);
    return new S3Server(proxy, bucket);
  }

  public String bucket() {
    return bucket;
  }

  /** Returns the HTTP endpoint, {@code http://127.0.0.1:<port>}. */
  public String endpoint() {
    return String.format(Locale.ROOT, "http://127.0.0.1:%d", proxy.getPort());
  }

  /** Returns the S3A URI of {@code path} in the bucket, {@code s3a://<bucket>/<path>}. */
  public String uri(String path) {
    return "s3a://" + bucket + "/" + path;
  }

  /**
   * Hadoop settings that point S3A at this server: endpoint, path-style access, plain HTTP, region,
   * and the fake keys through {@code SimpleAWSCredentialsProvider}.
   */
  public Map<String, String> hadoopConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("fs.s3a.endpoint", endpoint());
    conf.put("fs.s3a.endpoint.region", REGION);
    conf.put("fs.s3a.path.style.access", "true");
    conf.put("fs.s3a.connection.ssl.enabled", "false");
    conf.put(
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.put("fs.s3a.access.key", ACCESS_KEY);
    conf.put("fs.s3a.secret.key", SECRET_KEY);
    return conf;
  }

  /** {@link #hadoopConf()} as Spark properties, each key prefixed with {@code spark.hadoop.}. */
  public Map<String, String> sparkConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    hadoopConf().forEach((key, value) -> conf.put("spark.hadoop." + key, value));
    return conf;
  }

  /** Stops the server and discards the bucket's contents. */
  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot stop S3Proxy at " + endpoint(), e);
    }
  }
}
