package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.parley.common.grpc.RemoteError;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.ServerErrorException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Failed embeddings and safety calls → the gateway's errors. */
class ServiceErrorsTest {

  private static GatewayException map(Status.Code code, String reason, Map<String, String> meta) {
    return ServiceErrors.toGatewayException(
        "embeddings", new RemoteError(code, reason, "detail", meta), "mini", 3);
  }

  @Test
  void unavailableAndCancelled_are503NamingTheService() {
    for (var code : new Status.Code[] {Status.Code.UNAVAILABLE, Status.Code.CANCELLED}) {
      var error = map(code, "", Map.of());
      assertThat(error).isInstanceOf(BackendUnavailableException.class);
      assertThat(error.status()).isEqualTo(503);
      assertThat(error.code()).hasValue("service_unavailable");
      assertThat(error.headers()).containsEntry("retry-after", "3");
      assertThat(error.getMessage()).startsWith("The embeddings service is unavailable.");
    }
  }

  @Test
  void invalidArgument_is400WithTheServicesParamAndReason() {
    var error =
        map(Status.Code.INVALID_ARGUMENT, "context_length_exceeded", Map.of("param", "input"));

    assertThat(error).isInstanceOf(InvalidRequestException.class);
    assertThat(error.param()).hasValue("input");
    assertThat(error.code()).hasValue("context_length_exceeded");
    assertThat(error.getMessage()).isEqualTo("detail");
  }

  @Test
  void deadline_is504_overload_is503EngineOverloaded_anythingElse_is500() {
    assertThat(map(Status.Code.DEADLINE_EXCEEDED, "", Map.of()).status()).isEqualTo(504);
    var overloaded = map(Status.Code.RESOURCE_EXHAUSTED, "", Map.of());
    assertThat(overloaded.status()).isEqualTo(503);
    assertThat(overloaded.code()).hasValue("engine_overloaded");
    var internal = map(Status.Code.INTERNAL, "server_error", Map.of());
    assertThat(internal).isInstanceOf(ServerErrorException.class);
    assertThat(((ServerErrorException) internal).detail())
        .isEqualTo("embeddings failed: INTERNAL server_error: detail");
  }
}
