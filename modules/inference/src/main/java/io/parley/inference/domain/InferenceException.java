package io.parley.inference.domain;

import java.util.Optional;

/**
 * Base of all errors the inference engine reports, thrown synchronously by {@link
 * TextEngine#generate} or passed to {@link GenerationSink#onError}.
 */
public abstract class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String reason;
  private final String param;

  protected InferenceException(String reason, String message, String param, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.param = param;
  }

  /**
   * Machine-readable reason, e.g. {@code "context_length_exceeded"}, suitable as an OpenAI error
   * code.
   */
  public String reason() {
    return reason;
  }

  /** The request parameter at fault, if any (e.g. {@code "prompt"}, {@code "suffix"}). */
  public Optional<String> param() {
    return Optional.ofNullable(param);
  }
}
