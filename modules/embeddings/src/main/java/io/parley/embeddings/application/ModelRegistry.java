package io.parley.embeddings.application;

import io.parley.common.models.LoadedModels;
import io.parley.embeddings.domain.EmbeddingEngine;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.domain.ModelNotFoundException;
import java.util.List;

/**
 * The embedding models this server hosts. Models are loaded in the background at start; the server
 * is ready once every configured model is loaded, and a model that failed to load keeps it unready.
 */
public final class ModelRegistry implements AutoCloseable {

  private final LoadedModels<ModelSpec, EmbeddingEngine> models;

  public ModelRegistry(List<ModelSpec> specs, ModelLoader loader) {
    this.models = new LoadedModels<>("Embedding model", specs, ModelSpec::id, loader::load);
  }

  /** Loads every configured model, one after the other, on the calling thread. */
  public void loadAll() {
    models.loadAll();
  }

  /** Whether every configured model is loaded. */
  public boolean ready() {
    return models.ready();
  }

  /** Why models failed to load, one line each. */
  public List<String> failures() {
    return models.failures();
  }

  /** Models loaded so far, in configuration order. */
  public List<ModelInfo> list() {
    return models.loaded().stream().map(EmbeddingEngine::info).toList();
  }

  /** The engine of a loaded model. */
  public EmbeddingEngine engine(String model) {
    return models.engine(model).orElseThrow(() -> new ModelNotFoundException(model));
  }

  @Override
  public void close() {
    models.close();
  }
}
