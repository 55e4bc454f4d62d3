package io.parley.inference.domain;

/** Raised by a model registry when a request names a model that is not loaded. */
public final class ModelNotFoundException extends InferenceException {
  private static final long serialVersionUID = 1L;

  private final String model;

  public ModelNotFoundException(String model) {
    super(
        "model_not_found",
        "The model `" + model + "` does not exist or you do not have access to it.",
        "model",
        null);
    this.model = model;
  }

  public String model() {
    return model;
  }
}
