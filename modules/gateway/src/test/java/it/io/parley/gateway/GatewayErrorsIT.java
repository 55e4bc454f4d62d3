package it.io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.testing.TestCertificates;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a client sees from the deployed gateway over real HTTP when things go wrong: no key, a wrong
 * key, bad JSON, a bad parameter, an unknown path, a body too large, inference down.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class GatewayErrorsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final URI BASE =
      URI.create("http://127.0.0.1:" + System.getProperty("gateway.it.port", "19480"));
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  static {
    // The gateway loads its mutual-TLS identity when it opens its first channel.
    TestCertificates.create(Path.of(System.getProperty("gateway.it.dir"), "tls"));
  }

  private static final String ALLOWED_ORIGIN = "https://app.example.test";

  private String key;

  @Deployment(testable = false)
  static WebArchive gateway() {
    return ShrinkWrap.createFromZipFile(
            WebArchive.class, new File(System.getProperty("gateway.war")))
        .addAsWebInfResource(
            new StringAsset(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <web-ext xmlns="http://websphere.ibm.com/xml/ns/javaee"
                         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                         xsi:schemaLocation="http://websphere.ibm.com/xml/ns/javaee
                           http://websphere.ibm.com/xml/ns/javaee/ibm-web-ext_1_1.xsd" version="1.1">
                  <context-root uri="/"/>
                </web-ext>
                """),
            "ibm-web-ext.xml");
  }

  @BeforeEach
  void readTheGeneratedKey() throws Exception {
    key = Files.readString(Path.of(System.getProperty("gateway.it.dir"), "admin-key")).trim();
  }

  @Test
  void noKey_is401() throws Exception {
    var response = send(HttpRequest.newBuilder(BASE.resolve("/v1/models")).GET());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(error(response).get("message").asText())
        .startsWith("You didn't provide an API key.");
    assertOpenAiHeaders(response);
  }

  @Test
  void wrongKey_is401InvalidApiKey_withTheKeyMasked() throws Exception {
    var wrong = "sk-abcdefghijklmwxyz";
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/models"))
                .header("Authorization", "Bearer " + wrong)
                .GET());

    assertThat(response.statusCode()).isEqualTo(401);
    var error = error(response);
    assertThat(error.get("code").asText()).isEqualTo("invalid_api_key");
    assertThat(error.get("message").asText())
        .startsWith("Incorrect API key provided: sk-ab***********wxyz.");
    assertThat(response.body()).doesNotContain(wrong);
  }

  @Test
  void malformedJson_is400() throws Exception {
    var response = post("/v1/chat/completions", "{\"model\":");

    assertThat(response.statusCode()).isEqualTo(400);
    var error = error(response);
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.get("message").asText())
        .startsWith("We could not parse the JSON body of your request.");
  }

  @Test
  void badParameter_is400WithParam() throws Exception {
    var response =
        post(
            "/v1/chat/completions",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"temperature\":\"hot\"}");

    assertThat(response.statusCode()).isEqualTo(400);
    var error = error(response);
    assertThat(error.get("param").asText()).isEqualTo("temperature");
    assertThat(error.get("message").asText())
        .isEqualTo("Invalid type for 'temperature': expected a number, but got a string instead.");
  }

  @Test
  void apiResponses_carryTheOrganizationAndTheRateLimitHeaders() throws Exception {
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/nothing-here"))
                .header("Authorization", "Bearer " + key)
                .GET());

    assertThat(response.headers().firstValue("openai-organization")).contains("org-default");
    assertThat(redisAnswers()).as("Redis must answer on 127.0.0.1:6379").isTrue();
    assertThat(response.headers().firstValue("x-ratelimit-limit-requests")).contains("1000");
    assertThat(response.headers().firstValue("x-ratelimit-remaining-requests")).isPresent();
    assertThat(response.headers().firstValue("x-ratelimit-limit-tokens")).contains("100000");
    assertThat(response.headers().firstValue("x-ratelimit-reset-tokens")).isPresent();
  }

  @Test
  void organizationTheAdminKeyCannotUse_is401MismatchedOrganization() throws Exception {
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/models"))
                .header("Authorization", "Bearer " + key)
                .header("OpenAI-Organization", "org-elsewhere")
                .GET());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(error(response).get("code").asText()).isEqualTo("mismatched_organization");
  }

  private static boolean redisAnswers() {
    try (var socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", 6379), 200);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void unknownPath_is404Envelope() throws Exception {
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/nothing-here"))
                .header("Authorization", "Bearer " + key)
                .GET());

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(error(response).get("message").asText())
        .isEqualTo("Invalid URL (GET /v1/nothing-here).");
    assertOpenAiHeaders(response);
  }

  @Test
  void oversizedBody_is413() throws Exception {
    var response =
        post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"" + "x".repeat(8192) + "\"}");

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(error(response).get("code").asText()).isEqualTo("request_too_large");
  }

  @Test
  void inferenceDown_is503ServiceUnavailable_withRetryAfter() throws Exception {
    var chat =
        post(
            "/v1/chat/completions",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"stream\":true}");
    var models =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/models"))
                .header("Authorization", "Bearer " + key)
                .GET());

    for (var response : java.util.List.of(chat, models)) {
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("retry-after")).isPresent();
      var error = error(response);
      assertThat(error.get("code").asText()).isEqualTo("service_unavailable");
      assertThat(error.get("type").asText()).isEqualTo("server_error");
      assertThat(error.get("message").asText())
          .isEqualTo("The inference service is unavailable. Please retry shortly.");
      assertOpenAiHeaders(response);
    }
  }

  @Test
  void longModelIds_are400StringAboveMaxLength_beforeAnyBackendCall() throws Exception {
    var model = "m".repeat(300);
    var bodies =
        java.util.Map.of(
            "/v1/chat/completions",
            "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
            "/v1/completions",
            "{\"model\":\"" + model + "\",\"prompt\":\"Hi\"}",
            "/v1/embeddings",
            "{\"model\":\"" + model + "\",\"input\":\"Hi\"}",
            "/v1/moderations",
            "{\"model\":\"" + model + "\",\"input\":\"Hi\"}");

    for (var entry : bodies.entrySet()) {
      var response = post(entry.getKey(), entry.getValue());

      assertThat(response.statusCode()).as(entry.getKey()).isEqualTo(400);
      var error = error(response);
      assertThat(error.get("param").asText()).isEqualTo("model");
      assertThat(error.get("code").asText()).isEqualTo("string_above_max_length");
    }
  }

  @Test
  void modelIdOf20000CharactersInThePath_is404Envelope() throws Exception {
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/models/" + "x".repeat(20_000)))
                .header("Authorization", "Bearer " + key)
                .GET());

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(error(response).get("code").asText()).isEqualTo("model_not_found");
    assertThat(response.body().length()).isLessThan(1000);
  }

  @Test
  void oddPaths_getTheEnvelopeWithA4xx_neverAnHtmlPage() throws Exception {
    for (var path :
        java.util.List.of(
            "/v1/organization/users/%2e%2e%2f%2e%2e",
            "/v1/chat/completions/%252e%252e",
            "/v1/embeddings/%E2%80%AE",
            "/v1/%ff%fe",
            "/nothing/here",
            "/.parley-error")) {
      for (var method : java.util.List.of("GET", "DELETE", "POST")) {
        var response =
            send(
                HttpRequest.newBuilder(URI.create(BASE + path))
                    .header("Authorization", "Bearer " + key)
                    .method(method, HttpRequest.BodyPublishers.noBody()));

        assertThat(response.statusCode()).as(method + " " + path).isBetween(400, 499);
        assertThat(response.headers().firstValue("content-type"))
            .as(method + " " + path + ": " + response.body())
            .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        error(response);
        assertThat(response.headers().firstValue("x-content-type-options")).contains("nosniff");
      }
    }
  }

  /**
   * Servlet 6 makes the container refuse a path with an encoded NUL or a {@code ..} segment before
   * any application code runs (Liberty: SRVE CWWWC0005I). It stays a 400, and a JSON client (the
   * OpenAI SDKs send {@code Accept: application/json}) gets JSON, not HTML.
   */
  @Test
  void pathsTheContainerRefuses_are400_andJsonForJsonClients() throws Exception {
    for (var path :
        java.util.List.of(
            "/v1/organization/users/%00%2e%2e", "/v1/%00", "/%2e%2e/%2e%2e/etc/passwd")) {
      var response =
          send(
              HttpRequest.newBuilder(URI.create(BASE + path))
                  .header("Authorization", "Bearer " + key)
                  .header("Accept", "application/json")
                  .DELETE());

      assertThat(response.statusCode()).as(path).isEqualTo(400);
      assertThat(response.headers().firstValue("content-type")).contains("application/json");
      assertThat(JSON.readTree(response.body()).isObject()).isTrue();
      assertThat(response.headers().firstValue("x-content-type-options")).contains("nosniff");
    }
  }

  @Test
  void wrongMethod_is405Envelope_withAllow() throws Exception {
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/chat/completions"))
                .header("Authorization", "Bearer " + key)
                .GET());

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(error(response).get("message").asText())
        .isEqualTo("Invalid method for URL (GET /v1/chat/completions).");
  }

  @Test
  void preflightFromAnAllowedOrigin_needsNoKey_andAnswersTheCorsHeaders() throws Exception {
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/chat/completions"))
                .header("Origin", ALLOWED_ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

    assertThat(response.statusCode()).isEqualTo(204);
    var headers = response.headers();
    assertThat(headers.firstValue("access-control-allow-origin")).contains(ALLOWED_ORIGIN);
    assertThat(headers.firstValue("access-control-allow-methods").orElseThrow()).contains("POST");
    assertThat(headers.firstValue("access-control-allow-headers").orElseThrow())
        .containsIgnoringCase("authorization");
    assertThat(headers.firstValue("access-control-max-age")).contains("300");
    assertThat(headers.firstValue("x-content-type-options")).contains("nosniff");
  }

  @Test
  void preflightFromAnotherOrigin_is403_withoutCorsHeaders() throws Exception {
    var response =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/chat/completions"))
                .header("Origin", "https://evil.example.test")
                .header("Access-Control-Request-Method", "POST")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(error(response).get("code").asText()).isEqualTo("origin_not_allowed");
    assertThat(response.headers().firstValue("access-control-allow-origin")).isEmpty();
  }

  @Test
  void requestsFromAnAllowedOrigin_exposeTheRateLimitAndRequestIdHeaders() throws Exception {
    var allowed =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/nothing-here"))
                .header("Authorization", "Bearer " + key)
                .header("Origin", ALLOWED_ORIGIN)
                .GET());
    var other =
        send(
            HttpRequest.newBuilder(BASE.resolve("/v1/nothing-here"))
                .header("Authorization", "Bearer " + key)
                .header("Origin", "https://evil.example.test")
                .GET());

    assertThat(allowed.headers().firstValue("access-control-allow-origin"))
        .contains(ALLOWED_ORIGIN);
    assertThat(allowed.headers().firstValue("access-control-expose-headers").orElseThrow())
        .contains("x-request-id", "x-ratelimit-remaining-requests", "x-ratelimit-reset-tokens");
    assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
  }

  @Test
  void everyResponse_isNosniff_andApiResponsesAreNotStored() throws Exception {
    var api = post("/v1/chat/completions", "{");
    var noKey = send(HttpRequest.newBuilder(BASE.resolve("/v1/models")).GET());
    var health = send(HttpRequest.newBuilder(BASE.resolve("/health/live")).GET());

    for (var response : java.util.List.of(api, noKey)) {
      assertThat(response.headers().firstValue("x-content-type-options")).contains("nosniff");
      assertThat(response.headers().firstValue("cache-control")).contains("no-store");
    }
    assertThat(health.headers().firstValue("x-content-type-options")).contains("nosniff");
  }

  @Test
  void clientHangingUpMidUpload_isOneDebugLine_noErrorNoFfdc() throws Exception {
    var server = Path.of(System.getProperty("gateway.it.server.dir"));
    var ffdc = server.resolve("logs/ffdc");
    var messages = server.resolve("logs/messages.log");
    var trace = server.resolve("logs/trace.log");
    long ffdcBefore = countFiles(ffdc);
    long messagesBefore = Files.size(messages);
    long traceBefore = Files.exists(trace) ? Files.size(trace) : 0;

    for (var path : java.util.List.of("/v1/chat/completions", "/v1/embeddings")) {
      try (var socket = new java.net.Socket("127.0.0.1", BASE.getPort())) {
        var out = socket.getOutputStream();
        out.write(
            ("POST "
                    + path
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
                    + "{\"model\":\"m\",\"messages\":[")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.flush();
        Thread.sleep(300);
      }
    }
    // Let the server notice and log whatever it logs.
    Thread.sleep(1500);

    assertThat(countFiles(ffdc)).isEqualTo(ffdcBefore);
    var logged = tail(messages, messagesBefore);
    assertThat(logged.lines().filter(line -> line.matches(".*\\] \\S+ \\S+\\s+E .*")))
        .as(logged)
        .isEmpty();
    assertThat(logged).doesNotContain("SRVE", "Exception");
    var traced = tail(trace, traceBefore);
    assertThat(traced.lines().filter(l -> l.contains("request body not read to its end")))
        .as(traced)
        .hasSize(2);
  }

  private static long countFiles(Path dir) throws java.io.IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (var files = Files.list(dir)) {
      return files.count();
    }
  }

  private static String tail(Path file, long from) throws java.io.IOException {
    if (!Files.exists(file)) {
      return "";
    }
    var bytes = Files.readAllBytes(file);
    return new String(
        bytes,
        (int) Math.min(from, bytes.length),
        (int) Math.max(0, bytes.length - from),
        java.nio.charset.StandardCharsets.UTF_8);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(BASE.resolve(path))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(
        request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(HttpResponse<String> response) throws Exception {
    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    var body = JSON.readTree(response.body());
    assertThat(body.fieldNames()).toIterable().containsExactly("error");
    var error = body.get("error");
    assertThat(error.fieldNames()).toIterable().containsExactly("message", "type", "param", "code");
    return error;
  }

  private static void assertOpenAiHeaders(HttpResponse<String> response) {
    assertThat(response.headers().firstValue("x-request-id"))
        .hasValueSatisfying(id -> assertThat(id).matches("req_[0-9a-f]{32}"));
    assertThat(response.headers().firstValue("openai-version")).contains("2020-10-01");
    assertThat(response.headers().firstValue("openai-processing-ms")).isPresent();
  }
}
