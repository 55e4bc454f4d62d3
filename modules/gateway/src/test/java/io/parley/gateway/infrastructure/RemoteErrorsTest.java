package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.parley.common.grpc.RemoteError;
import io.parley.gateway.domain.ServiceUnavailableException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Failed inference calls → the gateway's errors. */
class RemoteErrorsTest {

  @Test
  void unavailableWithoutErrorInfo_isInferenceUnavailable() {
    var error =
        RemoteErrors.toGatewayException(
            new RemoteError(Status.Code.UNAVAILABLE, "", "io exception", Map.of()), "m", 2);

    assertThat(error).isInstanceOf(ServiceUnavailableException.class);
    assertThat(error.status()).isEqualTo(503);
    assertThat(error.getMessage()).isEqualTo(ServiceUnavailableException.INFERENCE_UNAVAILABLE);
  }

  @Test
  void unavailableDependency_is503ServiceUnavailable_notCountedAgainstInference() {
    var error =
        RemoteErrors.toGatewayException(
            new RemoteError(
                Status.Code.UNAVAILABLE,
                "service_unavailable",
                "The fine-tuned model registry is unavailable, so ft:x cannot be served now."
                    + " Please retry shortly.",
                Map.of("type", "server_error")),
            "ft:x",
            4);

    assertThat(error).isNotInstanceOf(ServiceUnavailableException.class);
    assertThat(error.status()).isEqualTo(503);
    assertThat(error.type()).isEqualTo("server_error");
    assertThat(error.code()).hasValue("service_unavailable");
    assertThat(error.headers()).containsEntry("retry-after", "4");
    assertThat(error.getMessage()).startsWith("The fine-tuned model registry is unavailable");
  }
}
