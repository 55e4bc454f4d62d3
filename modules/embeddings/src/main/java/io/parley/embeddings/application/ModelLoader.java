package io.parley.embeddings.application;

import io.parley.embeddings.domain.EmbeddingEngine;

/** Builds the engine of a configured model (slow: reads and prepares the model). */
@FunctionalInterface
public interface ModelLoader {

  /**
   * Loads a model.
   *
   * @throws RuntimeException when the model cannot be loaded; the registry reports it
   */
  EmbeddingEngine load(ModelSpec spec);
}
