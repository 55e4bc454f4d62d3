package io.parley.safety.domain;

/**
 * Raised when a request cannot be served as asked: no inputs, an empty input, too many inputs, an
 * input longer than allowed, or a policy request without an organization.
 */
public final class InvalidSafetyRequestException extends SafetyException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message message safe to show to API users
   * @param param the request field at fault
   */
  public InvalidSafetyRequestException(String message, String param) {
    super("invalid_value", message, param, null);
  }
}
