package io.parley.usage.domain;

/** Raised when a request field is missing or has a value the service cannot use. */
public final class InvalidUsageRequestException extends UsageException {
  private static final long serialVersionUID = 1L;

  public InvalidUsageRequestException(String message, String param) {
    super("invalid_value", message, param, null);
  }
}
