package io.parley.gateway.application;

import io.parley.gateway.domain.ModelInfo;
import java.util.List;
import java.util.Optional;

/**
 * The registry of fine-tuned models (the files service): an organization's models, each a LoRA
 * adapter over a base model that inference applies on first use.
 */
public interface FineTunedModels {

  /** Whether a registry is configured; without one, there are no fine-tuned models. */
  boolean enabled();

  /** The organization's fine-tuned models ({@code owned_by} is the organization). */
  List<ModelInfo> list(String organization);

  /** One fine-tuned model of the organization; empty when it has none of that id. */
  Optional<ModelInfo> find(String organization, String id);

  /** Deletes one of the organization's fine-tuned models; false when it has none of that id. */
  boolean delete(String organization, String id);

  /** Whether {@code id} has the shape of a fine-tuned model id ({@code ft:…} or {@code …:ft-…}). */
  static boolean looksFineTuned(String id) {
    return id.startsWith("ft:") || id.contains(":ft-");
  }
}
