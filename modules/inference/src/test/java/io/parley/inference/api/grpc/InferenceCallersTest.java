package io.parley.inference.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.v1.InferenceServiceGrpc;
import org.junit.jupiter.api.Test;

class InferenceCallersTest {

  @Test
  void everyMethodHasAnAllowList() {
    for (var method : InferenceServiceGrpc.getServiceDescriptor().getMethods()) {
      assertThat(InferenceCallers.POLICY.callersOf(method.getFullMethodName()))
          .as(method.getFullMethodName())
          .isNotEmpty();
    }
  }

  @Test
  void generationIsForTheGatewayAndFineTuning_only() {
    for (var method :
        java.util.List.of(
            InferenceServiceGrpc.getGenerateMethod(),
            InferenceServiceGrpc.getStreamGenerateMethod(),
            InferenceServiceGrpc.getStoppableStreamGenerateMethod())) {
      assertThat(InferenceCallers.POLICY.callersOf(method.getFullMethodName()))
          .as(method.getFullMethodName())
          .containsExactlyInAnyOrder("gateway", "files");
    }
  }
}
