package io.parley.embeddings.domain;

/** Raised when a request names a model that is not loaded. */
public final class ModelNotFoundException extends EmbeddingsException {
  private static final long serialVersionUID = 1L;

  public ModelNotFoundException(String model) {
    super(
        "model_not_found",
        "The model `" + model + "` does not exist or you do not have access to it.",
        "model",
        null);
  }
}
