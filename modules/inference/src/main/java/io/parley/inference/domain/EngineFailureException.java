package io.parley.inference.domain;

/**
 * Raised when the engine itself fails: a native error, a failed decode, a model that cannot be
 * loaded, or use of a closed engine.
 */
public final class EngineFailureException extends InferenceException {
  private static final long serialVersionUID = 1L;

  public EngineFailureException(String message) {
    this(message, null);
  }

  public EngineFailureException(String message, Throwable cause) {
    super("engine_failure", message, null, cause);
  }
}
