package io.parley.common.grpc.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.safety.v1.SafetyServiceGrpc;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CallerPolicyTest {

  private final CallerPolicy policy =
      CallerPolicy.builder()
          .allow(SafetyServiceGrpc.getModerateMethod(), "gateway")
          .allow(SafetyServiceGrpc.getSetPolicyMethod(), "gateway", "operator")
          .build();

  @Test
  void listedIdentity_isAllowed_othersAndUnlistedMethodsAreNot() {
    var moderate = SafetyServiceGrpc.getModerateMethod().getFullMethodName();
    var setPolicy = SafetyServiceGrpc.getSetPolicyMethod().getFullMethodName();
    var getPolicy = SafetyServiceGrpc.getGetPolicyMethod().getFullMethodName();

    assertThat(policy.allows(moderate, "gateway")).isTrue();
    assertThat(policy.allows(moderate, "operator")).isFalse();
    assertThat(policy.allows(moderate, "inference")).isFalse();
    assertThat(policy.allows(setPolicy, "operator")).isTrue();
    assertThat(policy.allows(getPolicy, "gateway")).isFalse();
    assertThat(policy.allows("parley.safety.v1.SafetyService/Nope", "gateway")).isFalse();
  }

  @Test
  void anyIdentity_allowsEveryAuthenticatedCaller() {
    var open =
        CallerPolicy.builder()
            .allowAll(SafetyServiceGrpc.getServiceDescriptor(), CallerPolicy.ANY_IDENTITY)
            .build();

    assertThat(open.allows(SafetyServiceGrpc.getModerateMethod().getFullMethodName(), "files"))
        .isTrue();
  }

  @Test
  void extraCallersFromConfig_extendAListedMethod_andRejectAnUnknownOne() {
    var extended =
        policy.plus(
            GrpcSecurity.parseCallers(
                " parley.safety.v1.SafetyService/Moderate = files operator "));

    assertThat(extended.callersOf(SafetyServiceGrpc.getModerateMethod().getFullMethodName()))
        .containsExactlyInAnyOrder("gateway", "files", "operator");
    assertThatThrownBy(
            () -> policy.plus(Map.of("parley.safety.v1.SafetyService/GetPolicy", Set.of("files"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GetPolicy");
  }

  @Test
  void malformedExtraCallers_areRejected() {
    assertThatThrownBy(() -> GrpcSecurity.parseCallers("Moderate=files"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrpcSecurity.parseCallers("a.B/C=Files"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(GrpcSecurity.parseCallers("")).isEmpty();
  }

  @Test
  void requireCovers_namesEveryMethodWithoutAnAllowList() {
    var service = new SafetyServiceGrpc.SafetyServiceImplBase() {}.bindService();

    assertThatThrownBy(() -> policy.requireCovers(List.of(service)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("parley.safety.v1.SafetyService/GetPolicy")
        .message()
        .doesNotContain("Moderate");
  }

  @Test
  void identityNames_areChecked() {
    assertThatThrownBy(
            () -> CallerPolicy.builder().allow(SafetyServiceGrpc.getModerateMethod(), "Gate way"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
