package io.parley.safety.domain;

/** Raised when the encoder's queue has no room for a request's inputs; the caller may retry. */
public final class ClassifierOverloadedException extends SafetyException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message message safe to show to API users
   */
  public ClassifierOverloadedException(String message) {
    super("server_overloaded", message, null, null);
  }
}
