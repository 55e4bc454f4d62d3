package io.parley.inference.application;

import io.parley.common.models.LoadedModels;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.ModelNotFoundException;
import io.parley.inference.domain.TextEngine;
import java.util.List;

/**
 * The models this server hosts. Models are loaded in the background at start; the server is ready
 * once every configured model is loaded, and a model that failed to load keeps it unready.
 */
public final class ModelRegistry implements AutoCloseable {

  private final LoadedModels<ModelSpec, TextEngine> models;

  public ModelRegistry(List<ModelSpec> specs, ModelLoader loader) {
    this.models = new LoadedModels<>("Model", specs, ModelSpec::id, loader::load);
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
    return models.loaded().stream().map(TextEngine::info).toList();
  }

  /** The engine of a loaded model. */
  public TextEngine engine(String model) {
    return models.engine(model).orElseThrow(() -> new ModelNotFoundException(model));
  }

  /** The configured engine kind of a model ({@code llama} or {@code openai}). */
  public String engineKind(String model) {
    return models
        .spec(model)
        .map(ModelSpec::engine)
        .orElseThrow(() -> new ModelNotFoundException(model));
  }

  @Override
  public void close() {
    models.close();
  }
}
