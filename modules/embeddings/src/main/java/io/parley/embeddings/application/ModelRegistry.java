package io.parley.embeddings.application;

import io.parley.embeddings.domain.EmbeddingEngine;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.domain.ModelNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The models this server hosts. Models are loaded in the background at start; the server is ready
 * once every configured model is loaded, and a model that failed to load keeps it unready.
 */
public final class ModelRegistry implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ModelRegistry.class.getName());

  private final List<ModelSpec> specs;
  private final ModelLoader loader;
  private final Map<String, EmbeddingEngine> engines = new ConcurrentHashMap<>();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  public ModelRegistry(List<ModelSpec> specs, ModelLoader loader) {
    this.specs = List.copyOf(specs);
    this.loader = loader;
  }

  /** Loads every configured model, one after the other, on the calling thread. */
  public void loadAll() {
    for (var spec : specs) {
      if (closed) {
        return;
      }
      try {
        long start = System.nanoTime();
        var engine = loader.load(spec);
        if (closed) {
          engine.close();
          return;
        }
        engines.put(spec.id(), engine);
        LOG.log(
            System.Logger.Level.INFO,
            "Embedding model {0} ({1}) ready in {2} ms",
            spec.id(),
            spec.engine(),
            (System.nanoTime() - start) / 1_000_000);
      } catch (RuntimeException e) {
        failures.add(spec.id() + ": " + e.getMessage());
        LOG.log(System.Logger.Level.ERROR, "Embedding model " + spec.id() + " failed to load", e);
      }
    }
  }

  /** Whether every configured model is loaded. */
  public boolean ready() {
    return !closed && engines.size() == specs.size();
  }

  /** Why models failed to load, one line each. */
  public List<String> failures() {
    return List.copyOf(failures);
  }

  /** Models loaded so far, in configuration order. */
  public List<ModelInfo> list() {
    var result = new ArrayList<ModelInfo>();
    for (var spec : specs) {
      var engine = engines.get(spec.id());
      if (engine != null) {
        result.add(engine.info());
      }
    }
    return result;
  }

  /** The engine of a loaded model. */
  public EmbeddingEngine engine(String model) {
    var engine = engines.get(model);
    if (engine == null) {
      throw new ModelNotFoundException(model);
    }
    return engine;
  }

  @Override
  public void close() {
    closed = true;
    engines.values().forEach(EmbeddingEngine::close);
    engines.clear();
  }
}
