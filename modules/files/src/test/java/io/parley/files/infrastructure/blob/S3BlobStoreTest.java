package io.parley.files.infrastructure.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.files.application.FileLimits;
import io.parley.files.application.FileService;
import io.parley.files.domain.Caller;
import io.parley.files.domain.StoreException;
import io.parley.files.testsupport.TestDatabases;
import io.parley.testing.Ports;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 store against an S3-compatible server started in the test (s3proxy over an in-memory
 * jclouds blob store): multipart writes become visible only on commit, aborted writes leave no
 * object and no open multipart upload, and the files use cases run on it byte-exact.
 */
class S3BlobStoreTest {

  static final String BUCKET = "parley-files";
  static S3Proxy proxy;
  static URI endpoint;
  static S3Client admin;
  static S3BlobStore store;

  @BeforeAll
  static void start() throws Exception {
    var properties = new Properties();
    var context =
        ContextBuilder.newBuilder("transient")
            .credentials("identity", "credential")
            .overrides(properties)
            .build(BlobStoreContext.class);
    endpoint = URI.create("http://127.0.0.1:" + Ports.free());
    proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(endpoint)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "access", "secret")
            .build();
    proxy.start();
    while (!AbstractLifeCycle.STARTED.equals(proxy.getState())) {
      Thread.sleep(10);
    }
    admin =
        S3Client.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .endpointOverride(endpoint)
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("access", "secret")))
            .build();
    admin.createBucket(r -> r.bucket(BUCKET));
    store =
        S3BlobStore.open(
            Optional.of(endpoint),
            "us-east-1",
            true,
            Optional.of("access"),
            Optional.of("secret"),
            BUCKET,
            5 * 1024 * 1024);
  }

  @AfterAll
  static void stop() throws Exception {
    store.close();
    admin.close();
    proxy.stop();
  }

  static byte[] random(int n, long seed) {
    var bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  long objects() {
    return admin.listObjectsV2(r -> r.bucket(BUCKET)).keyCount();
  }

  @Test
  void multipartWrite_isInvisibleUntilCommitted_thenByteExact() throws Exception {
    var data = random(12 * 1024 * 1024 + 5, 1);
    var writer = store.create("files/file-s3a");
    for (int i = 0; i < data.length; i += 100_000) {
      writer.write(data, i, Math.min(100_000, data.length - i));
    }
    assertThatThrownBy(() -> store.open("files/file-s3a").readAllBytes())
        .isInstanceOf(StoreException.class);
    writer.commit();
    try (var in = store.open("files/file-s3a")) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
    store.delete("files/file-s3a");
    assertThatThrownBy(() -> store.open("files/file-s3a")).isInstanceOf(StoreException.class);
    assertThat(store.healthy()).isTrue();
  }

  @Test
  void abortedWrite_leavesNoObject_andNoOpenUpload() {
    long before = objects();
    var writer = store.create("files/file-s3b");
    writer.write(random(6 * 1024 * 1024, 2), 0, 6 * 1024 * 1024);
    writer.abort();
    assertThat(objects()).isEqualTo(before);
    assertThat(admin.listMultipartUploads(r -> r.bucket(BUCKET)).uploads())
        .noneMatch(u -> u.key().equals("files/file-s3b"));
  }

  @Test
  void emptyBlob_commits() throws Exception {
    var writer = store.create("files/file-s3c");
    writer.commit();
    try (var in = store.open("files/file-s3c")) {
      assertThat(in.readAllBytes()).isEmpty();
    }
    store.delete("files/file-s3c");
  }

  @Test
  void fileUseCases_runOnTheBucket() throws Exception {
    try (var database = TestDatabases.h2()) {
      var files =
          new FileService(
              new io.parley.files.infrastructure.jdbc.JdbcFileRepository(database.jdbc()),
              store,
              new FileLimits(64L << 20, 0, 1 << 20, 10, 8 << 20, 100, Duration.ofHours(1)),
              Clock.systemUTC());
      var caller = new Caller("org-s3", "user-1");
      var data = random(7 * 1024 * 1024, 3);
      var incoming = files.receive(caller, "big.bin", Optional.of("batch"));
      incoming.write(data, 0, data.length);
      var file = incoming.finish();
      try (var content = files.open(caller, file.id()).stream()) {
        assertThat(content.readAllBytes()).isEqualTo(data);
      }
      long before = objects();
      var dropped = files.receive(caller, "x", Optional.of("batch"));
      dropped.write(data, 0, 1000);
      dropped.close();
      assertThat(objects()).isEqualTo(before);
      files.delete(caller, file.id());
      assertThat(objects()).isEqualTo(before - 1);
    }
  }
}
