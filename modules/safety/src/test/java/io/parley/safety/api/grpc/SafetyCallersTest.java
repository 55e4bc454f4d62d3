package io.parley.safety.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.safety.v1.SafetyServiceGrpc;
import org.junit.jupiter.api.Test;

class SafetyCallersTest {

  @Test
  void everyMethodHasAnAllowList() {
    for (var method : SafetyServiceGrpc.getServiceDescriptor().getMethods()) {
      assertThat(SafetyCallers.POLICY.callersOf(method.getFullMethodName()))
          .as(method.getFullMethodName())
          .isNotEmpty();
    }
  }

  @Test
  void policiesAreSetByTheGatewayAndOperatorsOnly() {
    assertThat(
            SafetyCallers.POLICY.callersOf(
                SafetyServiceGrpc.getSetPolicyMethod().getFullMethodName()))
        .containsExactlyInAnyOrder("gateway", "operator");
  }
}
