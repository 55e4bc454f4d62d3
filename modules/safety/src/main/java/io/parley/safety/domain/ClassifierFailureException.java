package io.parley.safety.domain;

/** Raised when the classifier fails (encoder error, model not loaded); not the caller's fault. */
public final class ClassifierFailureException extends SafetyException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed (logged, not shown to API users)
   * @param cause the underlying failure, if any
   */
  public ClassifierFailureException(String message, Throwable cause) {
    super("server_error", message, null, cause);
  }
}
