package io.parley.gateway.domain;

/**
 * The shared rate-limit store (Redis) cannot be reached. Depending on {@code
 * parley.gateway.redis.fail-open} the request then goes on unlimited, or is refused with 503.
 */
public class LimiterUnavailableException extends GatewayException {

  /** Message of a request refused because limits could not be checked. */
  public static final String MESSAGE =
      "Rate limits cannot be checked right now. Please retry shortly.";

  /**
   * @param retryAfterSeconds value of {@code retry-after}
   */
  public LimiterUnavailableException(int retryAfterSeconds) {
    super(503, SERVER_ERROR, "service_unavailable", null, MESSAGE, retryAfter(retryAfterSeconds));
  }
}
