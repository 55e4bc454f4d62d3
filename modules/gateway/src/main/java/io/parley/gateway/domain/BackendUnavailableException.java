package io.parley.gateway.domain;

import java.util.Locale;
import java.util.Map;

/**
 * A backend service other than inference and usage (embeddings, safety) cannot be reached, is
 * restarting, or its circuit is open (HTTP 503 {@code service_unavailable}, with {@code
 * retry-after}). The circuit breakers of those clients count these.
 */
public class BackendUnavailableException extends GatewayException {

  private BackendUnavailableException(String service, int retryAfterSeconds) {
    super(
        503,
        SERVER_ERROR,
        "service_unavailable",
        null,
        "The " + service + " service is unavailable. Please retry shortly.",
        Map.of("retry-after", Integer.toString(retryAfterSeconds)));
  }

  /**
   * @param service the service as users know it ({@code "embeddings"}, {@code "safety"})
   * @param retryAfterSeconds value of the {@code retry-after} header
   */
  public static BackendUnavailableException of(String service, int retryAfterSeconds) {
    return new BackendUnavailableException(service.toLowerCase(Locale.ROOT), retryAfterSeconds);
  }
}
