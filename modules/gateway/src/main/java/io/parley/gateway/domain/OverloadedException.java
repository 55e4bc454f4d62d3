package io.parley.gateway.domain;

/**
 * The engine or the gateway has more work than it admits right now (HTTP 503 {@code
 * engine_overloaded}, with {@code retry-after}). Not counted as a failure of the service.
 */
public class OverloadedException extends GatewayException {

  /**
   * @param message what is overloaded
   * @param retryAfterSeconds value of the {@code retry-after} header
   */
  public OverloadedException(String message, int retryAfterSeconds) {
    super(503, SERVER_ERROR, "engine_overloaded", null, message, retryAfter(retryAfterSeconds));
  }

  /** The model's engine refused more work. */
  public static OverloadedException engine(int retryAfterSeconds) {
    return new OverloadedException(
        "That model is currently overloaded with other requests. You can retry your request.",
        retryAfterSeconds);
  }
}
