package io.parley.gateway.application;

import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.domain.ModelNotFoundException;
import io.parley.gateway.domain.PermissionDeniedException;
import io.parley.gateway.domain.Role;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The models a caller may use: the inference service's, then the embeddings service's, then the
 * caller's organization's fine-tuned models (from the files service's registry). The embedding and
 * fine-tuned models are additions: when their service is not configured, or cannot be reached, the
 * inference models are still listed (the failure is logged).
 */
@ApplicationScoped
public class ModelCatalog {

  private static final Logger LOG = Logger.getLogger(ModelCatalog.class.getName());

  private InferenceBackend inference;
  private EmbeddingsBackend embeddings;
  private FineTunedModels fineTuned;

  /** For CDI proxies. */
  protected ModelCatalog() {}

  /**
   * @param inference the inference service
   * @param embeddings the embeddings service (its models are listed when it is configured)
   * @param fineTuned the fine-tuned model registry
   */
  @Inject
  public ModelCatalog(
      InferenceBackend inference, EmbeddingsBackend embeddings, FineTunedModels fineTuned) {
    this.inference = inference;
    this.embeddings = embeddings;
    this.fineTuned = fineTuned;
  }

  /** Every model served now to {@code organization}: the base models and its fine-tuned ones. */
  public List<ModelInfo> list(String organization) {
    var models = new ArrayList<>(list());
    if (fineTuned.enabled()) {
      try {
        models.addAll(fineTuned.list(organization));
      } catch (RuntimeException e) {
        LOG.warning(() -> "Fine-tuned models not listed: " + e);
      }
    }
    return models;
  }

  /**
   * One model {@code organization} may use.
   *
   * @throws ModelNotFoundException when it is not served, or is another organization's
   */
  public ModelInfo get(String organization, String id) {
    if (fineTuned.enabled() && FineTunedModels.looksFineTuned(id)) {
      Optional<ModelInfo> found = fineTuned.find(organization, id);
      if (found.isPresent()) {
        return found.get();
      }
    }
    return get(id);
  }

  /**
   * Deletes a fine-tuned model of the caller's organization (owners only).
   *
   * @throws PermissionDeniedException for a reader, or for a model that is not fine-tuned (a base
   *     model belongs to the platform)
   * @throws ModelNotFoundException when the organization has no such model
   */
  public void delete(Caller caller, String id) {
    caller.require(Role.OWNER);
    if (fineTuned.enabled()
        && FineTunedModels.looksFineTuned(id)
        && fineTuned.delete(caller.organization(), id)) {
      return;
    }
    ModelInfo served;
    try {
      served = get(id);
    } catch (ModelNotFoundException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ModelNotFoundException(id);
    }
    throw new PermissionDeniedException(
        "You cannot delete the model `"
            + served.id()
            + "`: only your organization's fine-tuned models can be deleted.");
  }

  /** Every model served now. */
  public List<ModelInfo> list() {
    var models = new ArrayList<>(inference.listModels());
    var ids = new HashSet<String>();
    models.forEach(m -> ids.add(m.id()));
    for (var model : embeddingModels()) {
      if (ids.add(model.id())) {
        models.add(model);
      }
    }
    return models;
  }

  /**
   * One model.
   *
   * @throws io.parley.gateway.domain.ModelNotFoundException when it is not served
   */
  public ModelInfo get(String id) {
    try {
      return inference.getModel(id);
    } catch (RuntimeException e) {
      Optional<ModelInfo> embedding =
          embeddingModels().stream().filter(m -> m.id().equals(id)).findFirst();
      if (embedding.isPresent()) {
        return embedding.get();
      }
      throw e;
    }
  }

  private List<ModelInfo> embeddingModels() {
    if (!embeddings.enabled()) {
      return List.of();
    }
    try {
      return embeddings.listModels();
    } catch (RuntimeException e) {
      LOG.warning(() -> "Embedding models not listed: " + e);
      return List.of();
    }
  }
}
