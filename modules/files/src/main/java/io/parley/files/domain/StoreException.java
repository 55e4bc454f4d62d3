package io.parley.files.domain;

/**
 * Raised when the database or the blob store fails (unreachable, I/O error); the caller may retry.
 */
public final class StoreException extends FilesException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super("server_error", message, null, cause);
  }
}
