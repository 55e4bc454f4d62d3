package io.parley.gateway.domain;

/**
 * A backend service cannot be reached or did not answer in time (HTTP 503 {@code
 * service_unavailable}, or 504 {@code timeout}); carries {@code retry-after}. The circuit breaker
 * on the inference client counts these and only these.
 */
public class ServiceUnavailableException extends GatewayException {

  /** Message of an unreachable inference service. */
  public static final String INFERENCE_UNAVAILABLE =
      "The inference service is unavailable. Please retry shortly.";

  private ServiceUnavailableException(int status, String code, String message, int retryAfter) {
    super(status, SERVER_ERROR, code, null, message, retryAfter(retryAfter));
  }

  /** The inference service is down, restarting, or its circuit is open. */
  public static ServiceUnavailableException inference(int retryAfterSeconds) {
    return new ServiceUnavailableException(
        503, "service_unavailable", INFERENCE_UNAVAILABLE, retryAfterSeconds);
  }

  /** The usage service (keys, limits, billing) is down, restarting, or its circuit is open. */
  public static ServiceUnavailableException usage(int retryAfterSeconds) {
    return new ServiceUnavailableException(
        503,
        "service_unavailable",
        "The usage service is unavailable. Please retry shortly.",
        retryAfterSeconds);
  }

  /** This gateway is stopping and ends what still runs (a stream past the drain's bound). */
  public static ServiceUnavailableException shuttingDown(int retryAfterSeconds) {
    return new ServiceUnavailableException(
        503,
        "service_unavailable",
        "This server is shutting down and ended the stream. Please retry the request.",
        retryAfterSeconds);
  }

  /** A call ran past its deadline. */
  public static ServiceUnavailableException timeout(int retryAfterSeconds) {
    return new ServiceUnavailableException(
        504, "timeout", "The request timed out. Please retry shortly.", retryAfterSeconds);
  }
}
