package io.parley.safety.domain;

/** Raised when a request names a moderation model this service does not serve. */
public final class ModelNotFoundException extends SafetyException {
  private static final long serialVersionUID = 1L;

  /**
   * @param model the model asked for
   */
  public ModelNotFoundException(String model) {
    super("model_not_found", "The model '" + model + "' does not exist.", "model", null);
  }
}
