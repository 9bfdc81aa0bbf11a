package io.bitsweep.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.s3a.AWSCredentialProviderList;
import org.apache.hadoop.fs.s3a.auth.CredentialProviderListFactory;
import org.junit.jupiter.api.Test;

/** Checks the settings in {@code conf/spark-defaults.conf} without starting Spark. */
class SparkDefaultsTest {
  private static final Map<String, String> DEFAULTS = LocalCluster.sparkDefaults();

  @Test
  void fileHasNoCredentials() {
    for (String suffix : new String[] {".access.key", ".secret.key", ".session.token"}) {
      assertThat(DEFAULTS.keySet())
          .as("keys ending in %s in conf/spark-defaults.conf", suffix)
          .noneMatch(key -> key.endsWith(suffix));
    }
  }

  @Test
  void executorsGetVectorModule() {
    assertThat(DEFAULTS.get("spark.executor.extraJavaOptions"))
        .contains("--add-modules=jdk.incubator.vector");
    assertThat(DEFAULTS.get("spark.driver.extraJavaOptions"))
        .contains("--add-modules=jdk.incubator.vector");
  }

  @Test
  void credentialsProviderLoadsInS3a() throws Exception {
    Configuration conf = new Configuration();
    String key = "fs.s3a.aws.credentials.provider";
    conf.set(key, DEFAULTS.get("spark.hadoop." + key));

    // Builds the provider chain without resolving credentials, so nothing is contacted.
    AWSCredentialProviderList providers =
        CredentialProviderListFactory.createAWSCredentialProviderList(
            URI.create("s3a://bucket/"), conf);

    assertThat(providers.getProviders())
        .singleElement()
        .extracting(provider -> provider.getClass().getName())
        .isEqualTo("software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider");
  }

  @Test
  void schedulingSettingsAreExplicit() {
    assertThat(DEFAULTS)
        .containsEntry("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .containsEntry("spark.speculation", "false")
        .containsEntry("spark.task.maxFailures", "4")
        .containsEntry("spark.hadoop.fs.s3a.path.style.access", "false");
  }
}
