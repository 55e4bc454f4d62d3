package io.parley.inference.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.parley.common.grpc.GrpcErrors;
import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.ModelRegistryUnavailableException;
import org.junit.jupiter.api.Test;

/** The inference error family → gRPC statuses, as the gateway reads them back. */
class InferenceErrorsTest {

  @Test
  void registryUnavailable_isUnavailableWithServiceUnavailableReason_andItsMessage() {
    var status =
        InferenceErrors.toStatus(
            new ModelRegistryUnavailableException(
                "The fine-tuned model registry is unavailable, so ft:m cannot be served now.",
                new RuntimeException("UNAVAILABLE")));

    var read = GrpcErrors.parse(status);
    assertThat(read.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(read.reason()).isEqualTo("service_unavailable");
    assertThat(read.type()).hasValue("server_error");
    assertThat(read.message()).startsWith("The fine-tuned model registry is unavailable");
  }

  @Test
  void engineFailure_staysInternal_withoutItsDetail() {
    var read = GrpcErrors.parse(InferenceErrors.toStatus(new EngineFailureException("native")));

    assertThat(read.code()).isEqualTo(Status.Code.INTERNAL);
    assertThat(read.reason()).isEqualTo("server_error");
    assertThat(read.message()).doesNotContain("native");
  }
}
