package io.parley.embeddings.domain;

/** Raised when an engine's queue is full (or a remote engine says it is busy); retry later. */
public final class EngineOverloadedException extends EmbeddingsException {
  private static final long serialVersionUID = 1L;

  public EngineOverloadedException(String message) {
    super("engine_overloaded", message, null, null);
  }
}
