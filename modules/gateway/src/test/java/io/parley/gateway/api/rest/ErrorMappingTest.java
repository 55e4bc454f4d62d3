package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.parley.common.grpc.RemoteError;
import io.parley.gateway.domain.AuthenticationException;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.infrastructure.RemoteErrors;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every failure kind → status, headers and the OpenAI envelope a client gets. */
class ErrorMappingTest {

  private static ErrorMapper.Reply reply(Throwable failure) {
    return ErrorMapper.reply(failure, "POST", "/v1/chat/completions", 2, "req_abc");
  }

  private static String body(ErrorMapper.Reply reply) {
    return new String(reply.body(), StandardCharsets.UTF_8);
  }

  private static ErrorMapper.Reply remote(
      Status.Code code, String reason, String message, Map<String, String> metadata) {
    return reply(
        RemoteErrors.toGatewayException(new RemoteError(code, reason, message, metadata), "m", 2));
  }

  @Test
  void modelNotFound_is404WithOpenAisMessage() {
    var reply = remote(Status.Code.NOT_FOUND, "model_not_found", "not hosted", Map.of());

    assertThat(reply.status()).isEqualTo(404);
    assertThat(body(reply))
        .isEqualTo(
            "{\"error\":{\"message\":\"The model `m` does not exist or you do not have access to"
                + " it.\",\"type\":\"invalid_request_error\",\"param\":null,"
                + "\"code\":\"model_not_found\"}}");
  }

  @Test
  void contextLengthExceeded_is400WithParam() {
    var reply =
        remote(
            Status.Code.INVALID_ARGUMENT,
            "context_length_exceeded",
            "This model's maximum context length is 512 tokens.",
            Map.of("param", "messages"));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(body(reply))
        .isEqualTo(
            "{\"error\":{\"message\":\"This model's maximum context length is 512 tokens.\","
                + "\"type\":\"invalid_request_error\",\"param\":\"messages\","
                + "\"code\":\"context_length_exceeded\"}}");
  }

  @Test
  void invalidValue_keepsTheServersTypeParamAndCode() {
    var reply =
        remote(
            Status.Code.INVALID_ARGUMENT,
            "invalid_value",
            "suffix is not supported by this model",
            Map.of("param", "suffix", "type", "invalid_request_error"));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(body(reply)).contains("\"param\":\"suffix\"", "\"code\":\"invalid_value\"");
  }

  @Test
  void engineOverloaded_is503WithRetryAfter() {
    var reply = remote(Status.Code.RESOURCE_EXHAUSTED, "engine_overloaded", "busy", Map.of());

    assertThat(reply.status()).isEqualTo(503);
    assertThat(reply.headers()).containsEntry("retry-after", "2");
    assertThat(body(reply)).contains("\"type\":\"server_error\"", "\"code\":\"engine_overloaded\"");
  }

  @ParameterizedTest
  @CsvSource({"UNAVAILABLE", "CANCELLED"})
  void unreachableInference_is503ServiceUnavailable(Status.Code code) {
    var reply = remote(code, "", "io exception", Map.of());

    assertThat(reply.status()).isEqualTo(503);
    assertThat(reply.headers()).containsEntry("retry-after", "2");
    assertThat(body(reply))
        .isEqualTo(
            "{\"error\":{\"message\":\"The inference service is unavailable. Please retry"
                + " shortly.\",\"type\":\"server_error\",\"param\":null,"
                + "\"code\":\"service_unavailable\"}}");
  }

  @Test
  void deadlineExceeded_is504Timeout() {
    var reply = remote(Status.Code.DEADLINE_EXCEEDED, "", "deadline", Map.of());

    assertThat(reply.status()).isEqualTo(504);
    assertThat(body(reply)).contains("\"code\":\"timeout\"");
  }

  @ParameterizedTest
  @CsvSource({"INTERNAL", "UNKNOWN", "UNIMPLEMENTED", "PERMISSION_DENIED", "DATA_LOSS"})
  void serverSideFailures_are500WithOnlyTheRequestId(Status.Code code) {
    var reply = remote(code, "server_error", "NullPointerException at Engine.java:42", Map.of());

    assertThat(reply.status()).isEqualTo(500);
    assertThat(body(reply))
        .isEqualTo(
            "{\"error\":{\"message\":\"The server had an error while processing your request."
                + " (Please include the request ID req_abc if you report this error.)\","
                + "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
  }

  @Test
  void unexpectedExceptions_are500WithoutDetails() {
    var reply = reply(new IllegalStateException("secret detail"));

    assertThat(reply.status()).isEqualTo(500);
    assertThat(body(reply)).doesNotContain("secret", "IllegalState", "at io.");
  }

  @Test
  void openCircuit_is503ServiceUnavailable() {
    var reply = reply(new CircuitBreakerOpenException("open"));

    assertThat(reply.status()).isEqualTo(503);
    assertThat(body(reply)).contains("\"code\":\"service_unavailable\"");
    assertThat(reply.headers()).containsEntry("retry-after", "2");
  }

  @Test
  void faultToleranceTimeout_is503() {
    assertThat(reply(new TimeoutException("slow")).status()).isEqualTo(503);
  }

  @Test
  void fullBulkhead_is503Overloaded() {
    var reply = reply(new BulkheadException("full"));

    assertThat(reply.status()).isEqualTo(503);
    assertThat(body(reply)).contains("\"code\":\"engine_overloaded\"");
  }

  @Test
  void gatewayException_keepsStatusTypeCodeParamAndHeaders() {
    var reply =
        reply(
            new GatewayException(
                418, "invalid_request_error", "teapot", "cup", "No coffee.", Map.of("x-a", "b")));

    assertThat(reply.status()).isEqualTo(418);
    assertThat(reply.headers()).containsEntry("x-a", "b");
    assertThat(body(reply))
        .isEqualTo(
            "{\"error\":{\"message\":\"No coffee.\",\"type\":\"invalid_request_error\","
                + "\"param\":\"cup\",\"code\":\"teapot\"}}");
  }

  @Test
  void wrongKey_is401WithTheKeyMasked() {
    var reply = reply(AuthenticationException.incorrectKey("sk-abcdefghijklmwxyz"));

    assertThat(reply.status()).isEqualTo(401);
    assertThat(body(reply))
        .contains("Incorrect API key provided: sk-ab***********wxyz.")
        .contains("\"code\":\"invalid_api_key\"")
        .doesNotContain("sk-abcdefghijklmwxyz");
  }

  @Test
  void missingKey_is401WithCodeNull() {
    var reply = reply(AuthenticationException.missingKey());

    assertThat(reply.status()).isEqualTo(401);
    assertThat(body(reply))
        .startsWith("{\"error\":{\"message\":\"You didn't provide an API key.")
        .endsWith("\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
  }
}
