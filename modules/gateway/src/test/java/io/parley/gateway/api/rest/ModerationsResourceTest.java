package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.application.ContentModeration;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.application.RateLimiter;
import io.parley.gateway.application.SafetyBackend;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.RateLimitExceededException;
import io.parley.gateway.domain.RateLimits;
import io.parley.gateway.domain.Role;
import io.parley.gateway.infrastructure.MemoryBucketStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code POST /v1/moderations} against a real (in-process) safety gRPC service. */
class ModerationsResourceTest {

  private static final Caller CALLER = new Caller("org-a", "user-1", Role.READER, "key-1", false);

  private ScriptedSafety service;
  private ModerationsResource resource;

  @BeforeEach
  void start() throws Exception {
    service = new ScriptedSafety();
    resource = resource(service.client(), Unconfigured.rateLimiter());
  }

  @AfterEach
  void stop() {
    service.close();
  }

  private static ModerationsResource resource(SafetyBackend client, RateLimiter limiter) {
    return new ModerationsResource(
        new ContentModeration(client, limiter, Unconfigured.metering(), 1), 1 << 20);
  }

  private static String moderate(
      ModerationsResource resource, String body, Consumer<RateLimitDecision> onDecision) {
    var bytes =
        resource.create(
            CALLER,
            "req_1",
            "application/json",
            -1,
            new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)),
            onDecision);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private String moderate(String body) {
    return moderate(resource, body, d -> {});
  }

  private static ErrorMapper.Reply failure(ModerationsResource resource, String body) {
    try {
      moderate(resource, body, d -> {});
    } catch (Throwable e) {
      return ErrorMapper.reply(e, "POST", "/v1/moderations", 1, "req_1");
    }
    throw new AssertionError("no failure");
  }

  @Test
  void stringInput_isOpenAisShape_withEveryCategoryInBothMaps_inOpenAisOrder() {
    var body = moderate("{\"input\":\"I will kill the process\"}");

    assertThat(body).startsWith("{\"id\":\"modr-");
    assertThat(body.substring(body.indexOf("\",\"model\"")))
        .isEqualTo(
            "\",\"model\":\"parley-moderation\",\"results\":[{\"flagged\":true,"
                + "\"categories\":{\"sexual\":false,\"harassment/threatening\":false,"
                + "\"hate\":false,\"self-harm\":false,\"violence\":true,\"custom\":false},"
                + "\"category_scores\":{\"sexual\":0.00125,\"harassment/threatening\":0.00125,"
                + "\"hate\":0.00125,\"self-harm\":0.0,\"violence\":0.9,\"custom\":0.00125},"
                + "\"category_applied_input_types\":{\"sexual\":[\"text\"],"
                + "\"harassment/threatening\":[\"text\"],\"hate\":[\"text\"],"
                + "\"self-harm\":[\"text\"],\"violence\":[\"text\"],\"custom\":[\"text\"]}}]}");
    assertThat(service.requests.getFirst().getModel()).isEmpty();
    assertThat(service.requests.getFirst().getRequestId()).isEqualTo("req_1");
  }

  @Test
  void arrayInput_isOneResultPerInput_inOrder_andTheModelIsPassedOn() throws Exception {
    var body =
        Json.MAPPER.readTree(
            moderate(
                "{\"model\":\"omni-moderation-latest\",\"input\":[\"hello\",\"kill\",\"bye\"]}"));

    assertThat(body.get("model").asText()).isEqualTo("omni-moderation-latest");
    var flags = new ArrayList<Boolean>();
    body.get("results").forEach(r -> flags.add(r.get("flagged").booleanValue()));
    assertThat(flags).containsExactly(false, true, false);
    assertThat(service.requests.getFirst().getInputsList()).containsExactly("hello", "kill", "bye");
    assertThat(service.requests.getFirst().getModel()).isEqualTo("omni-moderation-latest");
  }

  @Test
  void idsAreUnique() {
    assertThat(moderate("{\"input\":\"a\"}").substring(0, 40))
        .isNotEqualTo(moderate("{\"input\":\"a\"}").substring(0, 40));
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{}|input|missing_required_parameter",
        "{\"input\":null}|input|missing_required_parameter",
        "{\"input\":5}|input|invalid_type",
        "{\"input\":{\"text\":\"x\"}}|input|invalid_type",
        "{\"input\":[]}|input|empty_array",
        "{\"input\":[\"a\",7]}|input[1]|invalid_type",
        "{\"input\":[\"a\",[\"b\"]]}|input[1]|invalid_type",
        "{\"input\":[{\"type\":\"text\",\"text\":\"hi\"}]}|input|invalid_value",
        "{\"input\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}|input|invalid_value",
        "{\"input\":\"x\",\"model\":3}|model|invalid_type",
      })
  void badRequest_is400NamingTheParameter(String json, String param, String code) {
    assertThatThrownBy(
            () -> ModerationRequests.parse((ObjectNode) Json.MAPPER.readTree(json), "req_1"))
        .isInstanceOfSatisfying(
            InvalidRequestException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.param()).hasValue(param);
              assertThat(e.code()).hasValue(code);
            });
  }

  @Test
  void imageParts_areRefusedNamingTheirType() {
    var reply =
        failure(
            resource,
            "{\"input\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}}]}");

    assertThat(reply.status()).isEqualTo(400);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"Invalid 'input[0]': content parts (type 'image_url') are"
                + " not supported; only text is. Send 'input' as a string or an array of"
                + " strings.\",\"type\":\"invalid_request_error\",\"param\":\"input\","
                + "\"code\":\"invalid_value\"}}");
    assertThat(service.requests).isEmpty();
  }

  @Test
  void unknownModel_is404ModelNotFound() {
    var reply = failure(resource, "{\"model\":\"text-moderation-9\",\"input\":\"x\"}");

    assertThat(reply.status()).isEqualTo(404);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .contains("The model `text-moderation-9` does not exist")
        .contains("\"code\":\"model_not_found\"");
  }

  @Test
  void serviceUnavailable_is503NamingTheService_withRetryAfter() {
    var reply = failure(resource, "{\"model\":\"down\",\"input\":\"x\"}");

    assertThat(reply.status()).isEqualTo(503);
    assertThat(reply.headers()).containsEntry("retry-after", "1");
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"The safety service is unavailable. Please retry"
                + " shortly.\",\"type\":\"server_error\",\"param\":null,"
                + "\"code\":\"service_unavailable\"}}");
  }

  @Test
  void noServiceConfigured_is501NotConfigured() {
    var reply =
        failure(resource(Unconfigured.safety(), Unconfigured.rateLimiter()), "{\"input\":\"x\"}");

    assertThat(reply.status()).isEqualTo(501);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"Moderations need the safety service"
                + " (parley.safety.target is not set).\",\"type\":\"invalid_request_error\","
                + "\"param\":null,\"code\":\"safety_service_not_configured\"}}");
  }

  @Test
  void moderation_takesARequestButNoTokens_fromTheRateLimits() {
    var limiter =
        new RateLimiter(
            new MemoryBucketStore(),
            org -> new OrganizationLimits(new RateLimits(2, 1_000), Map.of()),
            RateLimits.NONE,
            false,
            1);
    var limited = resource(service.client(), limiter);
    var decision = new AtomicReference<RateLimitDecision>();

    moderate(limited, "{\"input\":\"a long text that would cost tokens\"}", decision::set);

    assertThat(decision.get().headers())
        .containsEntry("x-ratelimit-remaining-requests", "1")
        .containsEntry("x-ratelimit-remaining-tokens", "1000");
    moderate(limited, "{\"input\":\"b\"}", decision::set);
    assertThatThrownBy(() -> moderate(limited, "{\"input\":\"c\"}", d -> {}))
        .isInstanceOf(RateLimitExceededException.class)
        .hasMessageStartingWith("Rate limit reached for moderations in organization org-a");
    assertThat(service.requests).hasSize(2);
  }
}
