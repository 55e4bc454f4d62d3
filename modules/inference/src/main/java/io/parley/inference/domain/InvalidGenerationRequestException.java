package io.parley.inference.domain;

/**
 * Raised synchronously by {@link TextEngine#generate} when a parameter is invalid or not supported
 * by the model, e.g. a suffix for a model without fill-in-the-middle tokens, {@code best_of < n},
 * or a logit_bias token id outside the vocabulary.
 */
public final class InvalidGenerationRequestException extends InferenceException {
  private static final long serialVersionUID = 1L;

  public InvalidGenerationRequestException(String message, String param) {
    super("invalid_request", message, param, null);
  }
}
