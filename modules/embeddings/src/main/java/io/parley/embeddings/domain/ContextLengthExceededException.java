package io.parley.embeddings.domain;

/** Raised when one input has more tokens than the model reads. */
public final class ContextLengthExceededException extends EmbeddingsException {
  private static final long serialVersionUID = 1L;

  /**
   * @param maxTokens the model's limit per input
   * @param tokens the tokens of the input
   * @param index position of the input in the request
   */
  public ContextLengthExceededException(int maxTokens, int tokens, int index) {
    super(
        "context_length_exceeded",
        "This model's maximum context length is "
            + maxTokens
            + " tokens, however you requested "
            + tokens
            + " tokens in input["
            + index
            + "]. Please reduce the length of the input.",
        "input",
        null);
  }
}
