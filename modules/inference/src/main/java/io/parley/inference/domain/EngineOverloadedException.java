package io.parley.inference.domain;

/**
 * Raised when a request cannot be served in time: thrown by {@link TextEngine#generate} when the
 * admission queue is full, or passed to {@link GenerationSink#onError} when the request waited in
 * the queue longer than allowed.
 */
public final class EngineOverloadedException extends InferenceException {
  private static final long serialVersionUID = 1L;

  public EngineOverloadedException(String message) {
    super("engine_overloaded", message, null, null);
  }
}
