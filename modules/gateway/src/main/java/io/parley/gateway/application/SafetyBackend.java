package io.parley.gateway.application;

import io.parley.gateway.domain.ServiceNotConfiguredException;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.ModerateResponse;
import io.parley.safety.v1.Policy;

/**
 * The safety service as the gateway's use cases see it (implemented by the gRPC client). Every
 * method fails with a {@link io.parley.gateway.domain.GatewayException}.
 */
public interface SafetyBackend {

  /** The service's name in messages. */
  String SERVICE = "safety";

  /** Whether a safety service is configured. */
  boolean enabled();

  /**
   * Classifies texts.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   * @throws io.parley.gateway.domain.ModelNotFoundException when another classifier is asked for
   * @throws io.parley.gateway.domain.InvalidRequestException when the service rejects the inputs
   */
  ModerateResponse moderate(ModerateRequest request);

  /** The organization's screening policy (both off when no safety service is configured). */
  Policy policy(String organization);

  /**
   * Sets the organization's screening policy.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   */
  Policy setPolicy(String organization, Policy policy);

  /** The answer of the endpoint when no safety service is configured. */
  static ServiceNotConfiguredException notConfigured() {
    return new ServiceNotConfiguredException(SERVICE, "Moderations", "parley.safety.target");
  }
}
