package io.parley.inference.domain;

/**
 * Raised synchronously by {@link TextEngine#generate} when the prompt plus the requested completion
 * do not fit the model's context length per sequence.
 */
public final class ContextLengthExceededException extends InferenceException {
  private static final long serialVersionUID = 1L;

  private final int contextLength;
  private final int promptTokens;
  private final int completionTokens;

  /**
   * @param param {@code "messages"} for chat requests, {@code "prompt"} for text completions
   */
  public ContextLengthExceededException(
      int contextLength, int promptTokens, int completionTokens, String param) {
    super(
        "context_length_exceeded",
        "This model's maximum context length is "
            + contextLength
            + " tokens. However, you requested "
            + (promptTokens + completionTokens)
            + " tokens ("
            + promptTokens
            + " in your prompt; "
            + completionTokens
            + " for the completion). Please reduce your prompt; or completion length.",
        param,
        null);
    this.contextLength = contextLength;
    this.promptTokens = promptTokens;
    this.completionTokens = completionTokens;
  }

  public int contextLength() {
    return contextLength;
  }

  public int promptTokens() {
    return promptTokens;
  }

  public int completionTokens() {
    return completionTokens;
  }
}
