package io.parley.safety.api.grpc;

import static io.parley.common.grpc.security.ServiceIdentity.GATEWAY;
import static io.parley.common.grpc.security.ServiceIdentity.OPERATOR;

import io.parley.common.grpc.security.CallerPolicy;
import io.parley.safety.v1.SafetyServiceGrpc;

/**
 * Who may call each safety method: the gateway moderates; the gateway (for an organization's owner)
 * and operators read and set policies. Extend with {@code parley.grpc.extra-callers}.
 */
public final class SafetyCallers {

  /** The allow-lists. */
  public static final CallerPolicy POLICY =
      CallerPolicy.builder()
          .allow(SafetyServiceGrpc.getModerateMethod(), GATEWAY)
          .allow(SafetyServiceGrpc.getGetPolicyMethod(), GATEWAY, OPERATOR)
          .allow(SafetyServiceGrpc.getSetPolicyMethod(), GATEWAY, OPERATOR)
          .build();

  private SafetyCallers() {}
}
