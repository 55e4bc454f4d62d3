package io.parley.inference.application;

import io.parley.common.models.LoadedModels;
import io.parley.inference.domain.FineTunedModel;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.ModelNotFoundException;
import io.parley.inference.domain.TextEngine;
import java.util.List;
import java.util.Optional;

/**
 * The models this server hosts. Models are loaded in the background at start; the server is ready
 * once every configured model is loaded, and a model that failed to load keeps it unready.
 *
 * <p>With fine-tuning configured, generation also serves the fine-tuned models of the request's
 * organization over the loaded base models ({@link FineTunedEngines}). Listing and looking up
 * models stay base-model only: which fine-tuned models an organization has is the registry's answer
 * (the gateway asks it), not what happens to be loaded on one replica.
 */
public final class ModelRegistry implements AutoCloseable {

  /**
   * What serving fine-tuned models needs.
   *
   * @param source the registry of fine-tuned models
   * @param loader starts adapter engines
   * @param policy limits and timings
   */
  public record FineTuning(
      FineTunedModelSource source, AdapterLoader loader, AdapterPolicy policy) {}

  private final LoadedModels<ModelSpec, TextEngine> models;
  private final Optional<FineTunedEngines> fineTuned;

  /** Base models only. */
  public ModelRegistry(List<ModelSpec> specs, ModelLoader loader) {
    this(specs, loader, Optional.empty());
  }

  /** Base models, and fine-tuned ones over them when {@code fineTuning} is given. */
  public ModelRegistry(List<ModelSpec> specs, ModelLoader loader, Optional<FineTuning> fineTuning) {
    this.models = new LoadedModels<>("Model", specs, ModelSpec::id, loader::load);
    this.fineTuned =
        fineTuning.map(
            f ->
                new FineTunedEngines(
                    f.source(), f.loader(), models::engine, f.policy(), System::nanoTime));
  }

  /**
   * Starts a generation of {@code model}: a loaded base model, or a fine-tuned model of {@code
   * organization}.
   *
   * @throws ModelNotFoundException when neither exists (another organization's fine-tuned model
   *     included)
   * @see io.parley.inference.domain.TextEngine#generate
   */
  public Generation generate(
      String model, String organization, GenerationRequest request, GenerationSink sink) {
    Optional<TextEngine> base = models.engine(model);
    if (base.isPresent()) {
      return base.get().generate(request, sink);
    }
    if (fineTuned.isPresent() && !organization.isEmpty() && FineTunedModel.looksFineTuned(model)) {
      return fineTuned.get().generate(organization, model, request, sink);
    }
    throw new ModelNotFoundException(model);
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
    // adapter engines use the base models' weights: they go first
    fineTuned.ifPresent(FineTunedEngines::close);
    models.close();
  }
}
