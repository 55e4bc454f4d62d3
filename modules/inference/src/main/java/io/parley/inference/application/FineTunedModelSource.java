package io.parley.inference.application;

import io.parley.inference.domain.FineTunedModel;
import java.io.OutputStream;
import java.util.Optional;

/** The registry of fine-tuned models (the files service). Implementations are thread-safe. */
public interface FineTunedModelSource {

  /**
   * The fine-tuned model {@code model} of {@code organization}; empty when there is none, or when
   * it belongs to another organization (which is not told apart).
   *
   * @throws io.parley.inference.domain.ModelRegistryUnavailableException when the registry cannot
   *     be asked
   */
  Optional<FineTunedModel> find(String organization, String model);

  /**
   * Writes the adapter's bytes to {@code out}, in order. An exception thrown by {@code out} stops
   * the transfer and is rethrown (wrapped in an {@code UncheckedIOException} when it is an {@code
   * IOException}).
   *
   * @throws io.parley.inference.domain.ModelNotFoundException when the model is gone
   * @throws io.parley.inference.domain.ModelRegistryUnavailableException when the registry cannot
   *     be asked
   */
  void download(String organization, String model, OutputStream out);
}
