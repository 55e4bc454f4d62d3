package io.parley.gateway.domain;

import java.util.Map;

/**
 * An endpoint needs a backend service this installation has not configured (HTTP 501, {@code
 * <service>_service_not_configured}, {@code x-should-retry: false}: retrying does not help until an
 * operator sets the target). Raised before anything is sent anywhere.
 */
public class ServiceNotConfiguredException extends GatewayException {

  /**
   * @param service the service ({@code "embeddings"}, {@code "safety"})
   * @param what what needs it, as a sentence subject ({@code "Embeddings"})
   * @param targetKey the configuration key that is not set ({@code parley.embeddings.target})
   */
  public ServiceNotConfiguredException(String service, String what, String targetKey) {
    super(
        501,
        INVALID_REQUEST,
        service + "_service_not_configured",
        null,
        what + " need the " + service + " service (" + targetKey + " is not set).",
        Map.of("x-should-retry", "false"));
  }
}
