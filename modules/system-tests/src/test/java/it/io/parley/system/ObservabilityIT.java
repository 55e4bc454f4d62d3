package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestCertificates;
import io.parley.testing.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Metrics and traces of real gateway and inference servers: a chat completion is counted and timed
 * on both servers' {@code /metrics}, and the {@code traceparent} a client sends reaches the
 * inference service over gRPC — proven by the spans the inference server itself exports over OTLP
 * to a collector in this test, which carry the client's trace id. Last, the gateway's preStop
 * drain.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ObservabilityIT {

  private static final String MODEL = ParleyStack.MODEL;
  private static final String SCRAPE_TOKEN = "scrape-" + Long.toHexString(System.nanoTime());

  static LibertyServer inference;
  static LibertyServer gateway;
  static HttpServer collector;
  static final List<byte[]> inferenceSpans = new CopyOnWriteArrayList<>();
  static final List<byte[]> gatewaySpans = new CopyOnWriteArrayList<>();
  static final int gatewayPort = Ports.free();
  static final int inferenceHttpPort = Ports.free();
  static final int inferenceGrpcPort = Ports.free();
  static final String adminKey =
      "sk-test-" + Long.toHexString(System.nanoTime()) + "0123456789abcdef";
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws IOException {
    collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext("/inference/v1/traces", exchange -> receive(exchange, inferenceSpans));
    collector.createContext("/gateway/v1/traces", exchange -> receive(exchange, gatewaySpans));
    collector.start();
    var otlp = "http://127.0.0.1:" + collector.getAddress().getPort();

    var root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    var output = root.resolve("modules/system-tests/target/servers/observability");
    Files.createDirectories(output);
    var certs = TestCertificates.create(output.resolve("tls"));
    var keyFile = output.resolve("admin-key");
    Files.writeString(keyFile, adminKey + "\n");
    var scrapeTokenFile = output.resolve("metrics-token");
    Files.writeString(scrapeTokenFile, SCRAPE_TOKEN + "\n");
    inference =
        LibertyServer.start(
            root,
            "inference",
            output,
            Map.ofEntries(
                Map.entry("HTTP_PORT", Integer.toString(inferenceHttpPort)),
                Map.entry("PARLEY_GRPC_PORT", Integer.toString(inferenceGrpcPort)),
                Map.entry("PARLEY_INFERENCE_MODELS", MODEL),
                Map.entry(
                    "PARLEY_INFERENCE_MODEL_STORIES260K_PATH", TestModels.stories260k().toString()),
                Map.entry("PARLEY_INFERENCE_THREADS", "1"),
                Map.entry("PARLEY_INFERENCE_SLOTS", "2"),
                Map.entry("OTEL_TRACES_EXPORTER", "otlp"),
                Map.entry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                Map.entry("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlp + "/inference/v1/traces"),
                Map.entry("OTEL_BSP_SCHEDULE_DELAY", "100")),
            certs);
    gateway =
        LibertyServer.start(
            root,
            "gateway",
            output,
            Map.of(
                "HTTP_PORT",
                Integer.toString(gatewayPort),
                "PARLEY_METRICS_TOKEN_FILE",
                scrapeTokenFile.toString(),
                "PARLEY_INFERENCE_TARGET",
                "127.0.0.1:" + inferenceGrpcPort,
                "PARLEY_GATEWAY_ADMIN_KEY_FILE",
                keyFile.toString(),
                "PARLEY_GATEWAY_ADMIN_KEY_GENERATE",
                "false",
                "OTEL_TRACES_EXPORTER",
                "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "http/protobuf",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                otlp + "/gateway/v1/traces",
                "OTEL_BSP_SCHEDULE_DELAY",
                "100",
                "WLP_LOGGING_MESSAGE_FORMAT",
                "JSON"),
            certs);
    inference.awaitReady(
        URI.create("http://127.0.0.1:" + inferenceHttpPort + "/health/ready"),
        Duration.ofMinutes(3));
    gateway.awaitReady(
        URI.create("http://127.0.0.1:" + gatewayPort + "/health/ready"), Duration.ofMinutes(3));
  }

  @AfterAll
  static void stop() {
    try {
      if (gateway != null) {
        gateway.close();
      }
    } finally {
      if (inference != null) {
        inference.close();
      }
      if (collector != null) {
        collector.stop(0);
      }
    }
  }

  @Test
  void chatCompletion_isCountedAndTimed_onGatewayAndInferenceMetrics() throws Exception {
    var response = chat(null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).endsWith("data: [DONE]\n\n");

    var gatewayMetrics = scrape(gatewayPort);
    assertThat(
            value(
                gatewayMetrics,
                "parley_http_server_duration_seconds_count",
                "route=\"/v1/chat/completions\"",
                "method=\"POST\"",
                "status=\"2xx\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            value(
                gatewayMetrics,
                "parley_gateway_time_to_first_token_seconds_count",
                "model=\"" + MODEL + "\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            value(
                gatewayMetrics,
                "parley_gateway_time_to_first_token_seconds_bucket",
                "model=\"" + MODEL + "\"",
                "le=\"+Inf\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            value(
                gatewayMetrics,
                "parley_gateway_tokens_total",
                "model=\"" + MODEL + "\"",
                "kind=\"completion\""))
        .isGreaterThan(0);
    assertThat(
            value(
                gatewayMetrics,
                "parley_grpc_client_duration_seconds_count",
                "method=\"parley.inference.v1.InferenceService/",
                "code=\"OK\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(gatewayMetrics).doesNotContain(adminKey).doesNotContain("sk-");

    var inferenceMetrics = scrape(inferenceHttpPort);
    assertThat(value(inferenceMetrics, "parley_inference_queue_depth", "model=\"" + MODEL + "\""))
        .isEqualTo(0);
    assertThat(value(inferenceMetrics, "parley_inference_slots", "model=\"" + MODEL + "\""))
        .isEqualTo(2);
    assertThat(
            value(
                inferenceMetrics,
                "parley_inference_time_to_first_token_seconds_count",
                "model=\"" + MODEL + "\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            value(
                inferenceMetrics,
                "parley_inference_generated_tokens_total",
                "model=\"" + MODEL + "\""))
        .isGreaterThan(0);
    assertThat(
            value(
                inferenceMetrics,
                "parley_grpc_server_duration_seconds_count",
                "method=\"parley.inference.v1.InferenceService/",
                "code=\"OK\""))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void traceparentFromTheClient_reachesInference_andComesBackInTheResponse() throws Exception {
    var traceId = HexFormat.of().formatHex(randomBytes(16));
    var response = chat("00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("traceparent").orElseThrow())
        .startsWith("00-" + traceId + "-");

    // OTLP carries trace ids as 16 raw bytes in the exported protobuf.
    var raw = HexFormat.of().parseHex(traceId);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline
        && !(containsAny(inferenceSpans, raw) && containsAny(gatewaySpans, raw))) {
      Thread.sleep(100);
    }
    assertThat(containsAny(inferenceSpans, raw))
        .as("a span exported by the inference server carries the client's trace id")
        .isTrue();
    assertThat(containsAny(gatewaySpans, raw))
        .as("a span exported by the gateway carries the client's trace id")
        .isTrue();
  }

  @Test
  void aFailedRequest_isLoggedAsJson_withItsTraceId() throws Exception {
    // This gateway has no embeddings service: the request fails on the server's side.
    var traceId = HexFormat.of().formatHex(randomBytes(16));
    var response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/v1/embeddings"))
                .header("Authorization", "Bearer " + adminKey)
                .header("Content-Type", "application/json")
                .header(
                    "traceparent",
                    "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"all-minilm-l6-v2\",\"input\":\"a cat\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);

    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    com.fasterxml.jackson.databind.JsonNode line = null;
    while (line == null && System.nanoTime() < deadline) {
      for (var text : Files.readAllLines(gateway.log())) {
        if (text.startsWith("{") && text.contains(traceId)) {
          line = json.readTree(text);
        }
      }
      if (line == null) {
        Thread.sleep(100);
      }
    }
    assertThat(line)
        .as("a JSON line of the gateway's log with the trace id %s", traceId)
        .isNotNull();
    assertThat(line.path("ext_traceId").asText()).isEqualTo(traceId);
    assertThat(line.path("ext_spanId").asText()).hasSize(16);
    assertThat(line.path("loglevel").asText()).isEqualTo("WARNING");
    assertThat(line.path("message").asText())
        .contains("POST /v1/embeddings answered " + response.statusCode());
  }

  @Test
  void metrics_onTheInferenceHealthPort_needNoCredentials() throws Exception {
    var response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + inferenceHttpPort + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type").orElseThrow())
        .startsWith("text/plain");
    assertThat(response.body()).contains("# TYPE jvm_memory_used_bytes gauge");
  }

  private static HttpResponse<String> chat(String traceparent) throws Exception {
    var request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gatewayPort + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + adminKey)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(60))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    """
                    {"model":"%s","messages":[{"role":"user","content":"Once upon a time"}],
                     "max_tokens":8,"temperature":0,"stream":true}"""
                        .formatted(MODEL)));
    if (traceparent != null) {
      request.header("traceparent", traceparent);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metrics_ofAServiceWithAScrapeToken_needThatToken() throws Exception {
    for (var authorization :
        new String[] {null, "Bearer " + adminKey, "Bearer " + SCRAPE_TOKEN + "x"}) {
      var request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/metrics"));
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
      assertThat(response.headers().firstValue("www-authenticate"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
      assertThat(response.body()).contains("\"code\":\"invalid_api_key\"").doesNotContain("jvm_");
    }
    assertThat(scrape(gatewayPort)).contains("# TYPE jvm_memory_used_bytes gauge");
  }

  /**
   * The preStop hook's drain, on the real server: readiness goes down while the API keeps serving;
   * only loopback may ask (the server here listens on loopback only, so the refusal of others is
   * proven by DrainServletTest), and bad input gets the OpenAI envelope. Runs last: the gateway
   * stays not ready.
   */
  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
  void drain_turnsReadinessDown_waitsItsPause_andTheApiStillAnswers() throws Exception {
    var drainUrl = "http://127.0.0.1:" + gatewayPort + "/drain";
    var get =
        http.send(
            HttpRequest.newBuilder(URI.create(drainUrl)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.body()).contains("\"type\":\"invalid_request_error\"");
    var bad =
        http.send(
            HttpRequest.newBuilder(URI.create(drainUrl + "?max_seconds=1e9"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("\"param\":\"max_seconds\"");
    var ready = URI.create("http://127.0.0.1:" + gatewayPort + "/health/ready");
    assertThat(
            http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .as("still ready: a refused drain changes nothing")
        .isEqualTo(200);

    long start = System.nanoTime();
    var drained =
        http.sendAsync(
            HttpRequest.newBuilder(URI.create(drainUrl + "?min_seconds=2&max_seconds=30"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Thread.sleep(500);
    var notReady =
        http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(notReady.body()).contains("\"draining\":true");
    assertThat(chat(null).statusCode()).as("requests that still arrive are served").isEqualTo(200);

    var answer = drained.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("{\"draining\":true,\"in_flight\":0}");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
  }

  private static String scrape(int port) throws Exception {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"));
    if (port == gatewayPort) {
      request.header("Authorization", "Bearer " + SCRAPE_TOKEN);
    }
    var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /** The sum of the samples of a metric whose labels contain every one of {@code labels}. */
  private static double value(String text, String name, String... labels) {
    double sum = 0;
    boolean found = false;
    for (var line : text.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
        continue;
      }
      var labelPart = line.contains("}") ? line.substring(0, line.lastIndexOf('}') + 1) : "";
      boolean all = true;
      for (var label : labels) {
        all &= labelPart.contains(label);
      }
      if (all) {
        found = true;
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    assertThat(found).as(name + " with " + String.join(",", labels) + " in\n" + text).isTrue();
    return sum;
  }

  private static void receive(com.sun.net.httpserver.HttpExchange exchange, List<byte[]> into)
      throws IOException {
    try (exchange) {
      into.add(exchange.getRequestBody().readAllBytes());
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean containsAny(List<byte[]> bodies, byte[] needle) {
    for (var body : bodies) {
      outer:
      for (int i = 0; i + needle.length <= body.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (body[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
    }
    return false;
  }

  private static byte[] randomBytes(int n) {
    var bytes = new byte[n];
    new java.security.SecureRandom().nextBytes(bytes);
    bytes[0] |= 1; // never all zero (an invalid id)
    return bytes;
  }
}
