package io.parley.embeddings.domain;

/**
 * Raised when an engine fails on a valid request: the ONNX runtime reports an error, a remote
 * engine cannot be reached or answers with something unusable, or the engine is shut down. The
 * message is for logs; users see a generic one.
 */
public final class EngineFailureException extends EmbeddingsException {
  private static final long serialVersionUID = 1L;

  public EngineFailureException(String message, Throwable cause) {
    super("server_error", message, null, cause);
  }
}
