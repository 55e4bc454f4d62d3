package io.parley.usage.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.usage.v1.UsageServiceGrpc;
import org.junit.jupiter.api.Test;

class UsageCallersTest {

  @Test
  void everyMethodHasAnAllowList() {
    for (var method : UsageServiceGrpc.getServiceDescriptor().getMethods()) {
      assertThat(UsageCallers.POLICY.callersOf(method.getFullMethodName()))
          .as(method.getFullMethodName())
          .isNotEmpty();
    }
  }

  @Test
  void onlyTheGatewayChecksKeysAndReserves() {
    for (var method :
        java.util.List.of(
            UsageServiceGrpc.getAuthenticateMethod(),
            UsageServiceGrpc.getReserveMethod(),
            UsageServiceGrpc.getReleaseMethod())) {
      assertThat(UsageCallers.POLICY.callersOf(method.getFullMethodName()))
          .as(method.getFullMethodName())
          .containsExactly("gateway");
    }
  }

  @Test
  void settle_isForTheGatewayAndTheFilesServiceThatBillsFineTuning() {
    assertThat(
            UsageCallers.POLICY.callersOf(UsageServiceGrpc.getSettleMethod().getFullMethodName()))
        .containsExactlyInAnyOrder("gateway", "files");
  }

  @Test
  void batchedBilling_leases_andPrices_areForTheGatewayOnly() {
    for (var method :
        java.util.List.of(
            UsageServiceGrpc.getRecordUsageMethod(),
            UsageServiceGrpc.getLeaseBudgetMethod(),
            UsageServiceGrpc.getReturnLeaseMethod(),
            UsageServiceGrpc.getGetPricesMethod())) {
      assertThat(UsageCallers.POLICY.callersOf(method.getFullMethodName()))
          .as(method.getFullMethodName())
          .containsExactly("gateway");
    }
  }

  @Test
  void administrationIsForTheGatewayAndOperators_notForOtherServices() {
    var createKey = UsageServiceGrpc.getCreateApiKeyMethod().getFullMethodName();

    assertThat(UsageCallers.POLICY.callersOf(createKey))
        .containsExactlyInAnyOrder("gateway", "operator");
  }
}
