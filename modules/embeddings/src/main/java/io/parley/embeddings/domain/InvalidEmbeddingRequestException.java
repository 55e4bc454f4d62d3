package io.parley.embeddings.domain;

/**
 * Raised when a request cannot be served as asked: no inputs, an empty input, token ids outside the
 * model's vocabulary, a {@code dimensions} the model does not allow, or a request a remote engine
 * refused.
 */
public final class InvalidEmbeddingRequestException extends EmbeddingsException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message message safe to show to API users
   * @param param the request field at fault
   */
  public InvalidEmbeddingRequestException(String message, String param) {
    super("invalid_value", message, param, null);
  }
}
