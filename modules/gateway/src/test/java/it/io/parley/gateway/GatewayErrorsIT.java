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
