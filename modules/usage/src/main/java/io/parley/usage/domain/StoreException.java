package io.parley.usage.domain;

/** Raised when the database fails (unreachable, timed out); the caller may retry. */
public final class StoreException extends UsageException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super("server_error", message, null, cause);
  }
}
