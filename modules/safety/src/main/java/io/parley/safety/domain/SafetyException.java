package io.parley.safety.domain;

import java.util.Optional;

/**
 * Base of all errors the safety service reports. The gRPC edge maps each subclass to one status.
 */
public abstract class SafetyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String reason;
  private final String param;

  protected SafetyException(String reason, String message, String param, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.param = param;
  }

  /** Machine-readable reason, suitable as an OpenAI error code (e.g. {@code "invalid_value"}). */
  public String reason() {
    return reason;
  }

  /** The request parameter at fault, if any (e.g. {@code "input"}). */
  public Optional<String> param() {
    return Optional.ofNullable(param);
  }
}
