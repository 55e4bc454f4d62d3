package io.parley.embeddings.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.embeddings.v1.EmbeddingsServiceGrpc;
import org.junit.jupiter.api.Test;

class EmbeddingsCallersTest {

  @Test
  void everyMethodHasAnAllowList() {
    for (var method : EmbeddingsServiceGrpc.getServiceDescriptor().getMethods()) {
      assertThat(EmbeddingsCallers.POLICY.callersOf(method.getFullMethodName()))
          .as(method.getFullMethodName())
          .isNotEmpty();
    }
  }

  @Test
  void onlyTheGatewayEmbeds() {
    assertThat(
            EmbeddingsCallers.POLICY.callersOf(
                EmbeddingsServiceGrpc.getEmbedMethod().getFullMethodName()))
        .containsExactly("gateway");
  }
}
