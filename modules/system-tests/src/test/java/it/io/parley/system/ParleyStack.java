package it.io.parley.system;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestCertificates;
import io.parley.testing.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The real platform on loopback: the inference and gateway Liberty servers as separate processes,
 * on free ports, serving the stories260K test model, with a fresh admin key.
 */
final class ParleyStack implements AutoCloseable {

  static final String MODEL = "stories260k";

  final int gatewayPort = Ports.free();
  final int inferenceHttpPort = Ports.free();
  final int inferenceGrpcPort = Ports.free();
  final int embeddingsHttpPort = Ports.free();
  final int embeddingsGrpcPort = Ports.free();
  final int safetyHttpPort = Ports.free();
  final int safetyGrpcPort = Ports.free();
  final String adminKey = "sk-test-" + Long.toHexString(System.nanoTime()) + "abcdef0123456789";
  final LibertyServer inference;
  final LibertyServer gateway;
  final LibertyServer embeddings;
  final LibertyServer safety;
  final TestCertificates certs;

  private static ParleyStack shared;
  private final Map<String, MutualTls> identities = new java.util.HashMap<>();

  /** One stack for every test class of this run, stopped when the test JVM exits. */
  static synchronized ParleyStack shared() {
    if (shared == null) {
      shared = new ParleyStack("shared");
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
    }
    return shared;
  }

  ParleyStack(String name) {
    var root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    var output = root.resolve("modules/system-tests/target/servers").resolve(name);
    try {
      Files.createDirectories(output);
      certs = TestCertificates.create(output.resolve("tls"));
      var keyFile = output.resolve("admin-key");
      Files.writeString(keyFile, adminKey + "\n");
      inference =
          LibertyServer.start(
              root,
              "inference",
              output,
              Map.of(
                  "HTTP_PORT",
                  Integer.toString(inferenceHttpPort),
                  "PARLEY_GRPC_PORT",
                  Integer.toString(inferenceGrpcPort),
                  "PARLEY_INFERENCE_MODELS",
                  MODEL,
                  "PARLEY_INFERENCE_MODEL_STORIES260K_PATH",
                  TestModels.stories260k().toString(),
                  "PARLEY_INFERENCE_THREADS",
                  "1",
                  "PARLEY_INFERENCE_SLOTS",
                  "4"),
              certs);
      embeddings =
          LibertyServer.start(
              root,
              "embeddings",
              output,
              Map.of(
                  "HTTP_PORT", Integer.toString(embeddingsHttpPort),
                  "PARLEY_GRPC_PORT", Integer.toString(embeddingsGrpcPort),
                  "PARLEY_EMBEDDINGS_THREADS", "1"),
              certs);
      safety =
          LibertyServer.start(
              root,
              "safety",
              output,
              Map.of(
                  "HTTP_PORT", Integer.toString(safetyHttpPort),
                  "PARLEY_GRPC_PORT", Integer.toString(safetyGrpcPort)),
              certs);
      gateway =
          LibertyServer.start(
              root,
              "gateway",
              output,
              Map.of(
                  "HTTP_PORT",
                  Integer.toString(gatewayPort),
                  "PARLEY_INFERENCE_TARGET",
                  "127.0.0.1:" + inferenceGrpcPort,
                  "PARLEY_EMBEDDINGS_TARGET",
                  "127.0.0.1:" + embeddingsGrpcPort,
                  "PARLEY_SAFETY_TARGET",
                  "127.0.0.1:" + safetyGrpcPort,
                  "PARLEY_GATEWAY_ADMIN_KEY_FILE",
                  keyFile.toString(),
                  "PARLEY_GATEWAY_ADMIN_KEY_GENERATE",
                  "false"),
              certs);
      embeddings.awaitReady(
          URI.create("http://127.0.0.1:" + embeddingsHttpPort + "/health/ready"),
          Duration.ofMinutes(3));
      safety.awaitReady(
          URI.create("http://127.0.0.1:" + safetyHttpPort + "/health/ready"),
          Duration.ofMinutes(3));
      inference.awaitReady(
          URI.create("http://127.0.0.1:" + inferenceHttpPort + "/health/ready"),
          Duration.ofMinutes(3));
      gateway.awaitReady(
          URI.create("http://127.0.0.1:" + gatewayPort + "/health/ready"), Duration.ofMinutes(3));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String baseUrl() {
    return "http://127.0.0.1:" + gatewayPort + "/v1";
  }

  OpenAIClient client() {
    return client(adminKey);
  }

  OpenAIClient client(String key) {
    return OpenAIOkHttpClient.builder()
        .baseUrl(baseUrl())
        .apiKey(key)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(60))
        .build();
  }

  /** A channel to the inference server as the gateway (closing the channel keeps the identity). */
  ManagedChannel inferenceChannel() {
    return Channels.open(
        "127.0.0.1:" + inferenceGrpcPort, 64 << 20, identity("gateway"), "inference");
  }

  /** A mutual-TLS identity of the test CA, loaded once per name. */
  synchronized MutualTls identity(String name) {
    return identities.computeIfAbsent(
        name,
        n ->
            MutualTls.load(
                GrpcSecurity.of(
                    certs.certFile(n), certs.keyFile(n), certs.caFile(), Duration.ofSeconds(30))));
  }

  @Override
  public void close() {
    try {
      gateway.close();
    } finally {
      safety.close();
      embeddings.close();
      inference.close();
    }
  }
}
