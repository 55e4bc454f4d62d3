package io.parley.inference.domain;

/**
 * Raised when the registry of fine-tuned models (the files service) cannot be asked about a
 * fine-tuned model or its adapter: it is down, restarting, or did not answer within the deadline.
 * The request may succeed when retried; base models are not affected.
 */
public final class ModelRegistryUnavailableException extends InferenceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what could not be asked, safe to show
   * @param cause the failed call
   */
  public ModelRegistryUnavailableException(String message, Throwable cause) {
    super("service_unavailable", message, null, cause);
  }
}
