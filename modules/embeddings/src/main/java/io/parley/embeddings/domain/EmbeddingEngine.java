package io.parley.embeddings.domain;

import java.util.concurrent.CompletableFuture;

/** Turns inputs into vectors with one model. Safe for concurrent use. */
public interface EmbeddingEngine extends AutoCloseable {

  /** The model this engine serves. */
  ModelInfo info();

  /**
   * Embeds a request. Invalid requests are refused at once with an {@link EmbeddingsException};
   * failures while embedding complete the future exceptionally with one. Cancelling the future
   * drops the inputs that are still queued.
   *
   * @param request inputs already checked against {@link #info()} (count, {@code dimensions})
   */
  CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request);

  /** Releases the model; requests still queued fail. */
  @Override
  void close();
}
