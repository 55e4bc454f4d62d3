package io.parley.gateway.application;

import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.infrastructure.InferenceClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/** The models a caller may use. */
@ApplicationScoped
public class ModelCatalog {

  private InferenceClient inference;

  /** For CDI proxies. */
  protected ModelCatalog() {}

  @Inject
  public ModelCatalog(InferenceClient inference) {
    this.inference = inference;
  }

  /** Every model served now. */
  public List<ModelInfo> list() {
    return inference.listModels();
  }

  /**
   * One model.
   *
   * @throws io.parley.gateway.domain.ModelNotFoundException when it is not served
   */
  public ModelInfo get(String id) {
    return inference.getModel(id);
  }
}
