package io.parley.common.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The configured models of a service and the engines loaded for them. Models are loaded one after
 * the other (typically on a background thread at start); the service is ready once every configured
 * model is loaded, and a model that failed to load keeps it unready, with the reason kept for the
 * health check.
 *
 * @param <S> the configuration of one model
 * @param <E> the engine that serves it
 */
public final class LoadedModels<S, E extends AutoCloseable> implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(LoadedModels.class.getName());

  private final String kind;
  private final List<S> specs;
  private final Function<S, String> idOf;
  private final Function<S, E> loader;
  private final Map<String, E> engines = new ConcurrentHashMap<>();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  /**
   * @param kind what the models are, for log lines ("Model", "Embedding model")
   * @param specs the configured models, in order
   * @param idOf a model's id
   * @param loader loads (or connects) one model; a RuntimeException means it failed
   */
  public LoadedModels(String kind, List<S> specs, Function<S, String> idOf, Function<S, E> loader) {
    this.kind = kind;
    this.specs = List.copyOf(specs);
    this.idOf = idOf;
    this.loader = loader;
  }

  /** Loads every configured model on the calling thread. */
  public void loadAll() {
    for (var spec : specs) {
      if (closed) {
        return;
      }
      var id = idOf.apply(spec);
      try {
        long start = System.nanoTime();
        var engine = loader.apply(spec);
        if (closed) {
          closeQuietly(engine);
          return;
        }
        engines.put(id, engine);
        LOG.log(
            System.Logger.Level.INFO,
            "{0} {1} ready in {2} ms",
            kind,
            id,
            Long.toString((System.nanoTime() - start) / 1_000_000));
      } catch (RuntimeException e) {
        failures.add(id + ": " + e.getMessage());
        LOG.log(System.Logger.Level.ERROR, kind + " " + id + " failed to load", e);
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

  /** Engines loaded so far, in configuration order. */
  public List<E> loaded() {
    var result = new ArrayList<E>();
    for (var spec : specs) {
      var engine = engines.get(idOf.apply(spec));
      if (engine != null) {
        result.add(engine);
      }
    }
    return result;
  }

  /** The engine of a loaded model. */
  public Optional<E> engine(String id) {
    return Optional.ofNullable(engines.get(id));
  }

  /** The configuration of a model. */
  public Optional<S> spec(String id) {
    return specs.stream().filter(s -> idOf.apply(s).equals(id)).findFirst();
  }

  @Override
  public void close() {
    closed = true;
    engines.values().forEach(LoadedModels::closeQuietly);
    engines.clear();
  }

  private static void closeQuietly(AutoCloseable engine) {
    try {
      engine.close();
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "Closing an engine failed", e);
    }
  }
}
