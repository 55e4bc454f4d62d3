package io.parley.gateway.application;

import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.infrastructure.EmbeddingsClient;
import io.parley.gateway.infrastructure.InferenceClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The models a caller may use: the inference service's, then the embeddings service's. The
 * embedding models are an addition: when no embeddings service is configured, or it cannot be
 * reached, the inference models are still listed (the failure is logged).
 */
@ApplicationScoped
public class ModelCatalog {

  private static final Logger LOG = Logger.getLogger(ModelCatalog.class.getName());

  private InferenceClient inference;
  private EmbeddingsClient embeddings;

  /** For CDI proxies. */
  protected ModelCatalog() {}

  /** The inference models only. */
  public ModelCatalog(InferenceClient inference) {
    this(inference, null);
  }

  /**
   * @param inference the inference service
   * @param embeddings the embeddings service, or {@code null} for none
   */
  @Inject
  public ModelCatalog(InferenceClient inference, EmbeddingsClient embeddings) {
    this.inference = inference;
    this.embeddings = embeddings;
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
    if (embeddings == null || !embeddings.enabled()) {
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
