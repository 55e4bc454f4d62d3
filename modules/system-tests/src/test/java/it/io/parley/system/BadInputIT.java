package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API requests that once got a 5xx, through real servers: each is a 4xx with the OpenAI error
 * envelope, and nothing reaches the usage ledger. The metered platform ({@link TenantStack}: usage
 * on PostgreSQL) shows nothing is written; the full platform ({@link ParleyStack}: embeddings and
 * safety too) shows what the services answer to inputs that pass the gateway's bounds.
 */
class BadInputIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String MODEL = ParleyStack.MODEL;
  static final String LONG_ID = "m".repeat(100_000);
  static final String OVER_4_MIB = "x".repeat(4 * 1024 * 1024 + 1);
  static final String UNDER_4_MIB = "Once upon a time ".repeat(3_800_000 / 17);

  static TenantStack tenants;
  static ParleyStack platform;
  static HttpClient http;

  @BeforeAll
  static void start() {
    platform = ParleyStack.shared();
    tenants = new TenantStack();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (tenants != null) {
      tenants.close();
    }
  }

  record Reply(int status, JsonNode error, HttpResponse<String> raw) {}

  static Reply send(String baseUrl, String key, String method, String path, String body)
      throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofSeconds(120))
            .header("Authorization", "Bearer " + key)
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    var json = JSON.readTree(response.body());
    return new Reply(response.statusCode(), json.path("error"), response);
  }

  /** A 4xx with exactly OpenAI's envelope. */
  static JsonNode envelope(Reply reply, int status, String what) {
    assertThat(reply.status()).as(what + ": " + reply.raw().body()).isEqualTo(status);
    assertThat(reply.raw().headers().firstValue("content-type").orElse(""))
        .startsWith("application/json");
    assertThat(reply.error().isObject()).as(what).isTrue();
    assertThat(reply.error().fieldNames())
        .toIterable()
        .containsExactly("message", "type", "param", "code");
    assertThat(reply.error().path("message").asText().length()).as(what).isLessThan(1000);
    return reply.error();
  }

  static Map<String, String> bodies(String model, String text) {
    var quotedModel = JSON.getNodeFactory().textNode(model).toString();
    var quotedText = JSON.getNodeFactory().textNode(text).toString();
    var bodies = new LinkedHashMap<String, String>();
    bodies.put(
        "/chat/completions",
        "{\"model\":"
            + quotedModel
            + ",\"messages\":[{\"role\":\"user\",\"content\":"
            + quotedText
            + "}],\"max_tokens\":1}");
    bodies.put(
        "/completions",
        "{\"model\":" + quotedModel + ",\"prompt\":" + quotedText + ",\"max_tokens\":1}");
    bodies.put("/embeddings", "{\"model\":" + quotedModel + ",\"input\":" + quotedText + "}");
    bodies.put("/moderations", "{\"model\":" + quotedModel + ",\"input\":" + quotedText + "}");
    return bodies;
  }

  static long ledgerRows() throws Exception {
    try (var c =
            DriverManager.getConnection(TenantStack.POSTGRES + tenants.database, "postgres", "");
        var rows = c.createStatement().executeQuery("SELECT count(*) FROM ledger")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  @Test
  void findingFiveInputs_are4xxEnvelopes_andNothingReachesTheLedger() throws Exception {
    long before = ledgerRows();
    var gateway = tenants.baseUrl(0);
    var key = tenants.adminKey;

    for (var entry : bodies(LONG_ID, "Hi").entrySet()) {
      var error =
          envelope(
              send(gateway, key, "POST", entry.getKey(), entry.getValue()),
              400,
              "100,000-character model on " + entry.getKey());
      assertThat(error.path("param").asText()).isEqualTo("model");
      assertThat(error.path("code").asText()).isEqualTo("string_above_max_length");
    }
    for (var entry : bodies(MODEL, OVER_4_MIB).entrySet()) {
      var error =
          envelope(
              send(gateway, key, "POST", entry.getKey(), entry.getValue()),
              413,
              "4 MiB input on " + entry.getKey());
      assertThat(error.path("code").asText()).isEqualTo("request_too_large");
    }
    var model =
        envelope(
            send(gateway, key, "GET", "/models/" + "x".repeat(20_000), null),
            404,
            "20,000-character model id in the path");
    assertThat(model.path("code").asText()).isEqualTo("model_not_found");

    var oddPath = send(gateway, key, "DELETE", "/organization/users/%00%2e%2e", null).raw();
    assertThat(oddPath.statusCode()).isEqualTo(400);
    assertThat(oddPath.headers().firstValue("content-type").orElse(""))
        .startsWith("application/json");

    assertThat(ledgerRows()).isEqualTo(before);
    assertThat(tenants.logs()).doesNotContain("unexpected failure");
  }

  @Test
  void longModelIdOnEveryServiceEndpoint_is400_withTheRealServicesBehind() throws Exception {
    for (var entry : bodies(LONG_ID, "Hi").entrySet()) {
      var error =
          envelope(
              send(platform.baseUrl(), platform.adminKey, "POST", entry.getKey(), entry.getValue()),
              400,
              entry.getKey());
      assertThat(error.path("param").asText()).isEqualTo("model");
    }
  }

  @Test
  void inputsJustUnderTheGrpcLimit_reachTheServices_andComeBackAs400() throws Exception {
    var models =
        Map.of(
            "/chat/completions",
            MODEL,
            "/completions",
            MODEL,
            "/embeddings",
            EmbeddingsAndModerationIT.EMBEDDING_MODEL,
            "/moderations",
            "");
    for (var entry : models.entrySet()) {
      var body =
          entry.getKey().equals("/moderations")
              ? "{\"input\":" + JSON.getNodeFactory().textNode(UNDER_4_MIB) + "}"
              : bodies(entry.getValue(), UNDER_4_MIB).get(entry.getKey());
      var error =
          envelope(
              send(platform.baseUrl(), platform.adminKey, "POST", entry.getKey(), body),
              400,
              "3.8 MB input on " + entry.getKey());
      if (!entry.getKey().equals("/moderations")) {
        assertThat(error.path("code").asText())
            .as(entry.getKey())
            .isEqualTo("context_length_exceeded");
      }
    }
  }
}
