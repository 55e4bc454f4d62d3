package io.parley.embeddings.application;

import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingResult;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import io.parley.embeddings.domain.ModelInfo;
import java.util.concurrent.CompletableFuture;

/**
 * Embeds a request with a named model: checks what every engine relies on (at least one input, at
 * most {@code maxInputs}, no empty input, a {@code dimensions} the model allows), then hands the
 * request to the model's engine.
 */
public final class EmbedUseCase {

  private final ModelRegistry registry;
  private final int maxInputs;

  /**
   * @param registry the loaded models
   * @param maxInputs most inputs one request may carry
   */
  public EmbedUseCase(ModelRegistry registry, int maxInputs) {
    this.registry = registry;
    this.maxInputs = maxInputs;
  }

  /** Embeds; see {@link io.parley.embeddings.domain.EmbeddingEngine#embed}. */
  public CompletableFuture<EmbeddingResult> embed(String model, EmbeddingRequest request) {
    var engine = registry.engine(model);
    check(engine.info(), request);
    return engine.embed(request);
  }

  private void check(ModelInfo model, EmbeddingRequest request) {
    var inputs = request.inputs();
    if (inputs.isEmpty()) {
      throw new InvalidEmbeddingRequestException("'input' must not be empty.", "input");
    }
    if (inputs.size() > maxInputs) {
      throw new InvalidEmbeddingRequestException(
          "'input' may hold at most " + maxInputs + " items, got " + inputs.size() + ".", "input");
    }
    for (int i = 0; i < inputs.size(); i++) {
      boolean empty =
          switch (inputs.get(i)) {
            case EmbeddingInput.Text text -> text.text().isEmpty();
            case EmbeddingInput.Tokens tokens -> tokens.ids().length == 0;
          };
      if (empty) {
        throw new InvalidEmbeddingRequestException(
            "input[" + i + "] is empty; each input must have at least one token.", "input");
      }
    }
    if (request.dimensions().isPresent()) {
      int dimensions = request.dimensions().getAsInt();
      if (!model.supportsDimensions()) {
        throw new InvalidEmbeddingRequestException(
            "This model does not support specifying dimensions.", "dimensions");
      }
      if (dimensions < 1) {
        throw new InvalidEmbeddingRequestException(
            "Invalid 'dimensions': expected a value >= 1, but got " + dimensions + " instead.",
            "dimensions");
      }
      if (model.dimensions() > 0 && dimensions > model.dimensions()) {
        throw new InvalidEmbeddingRequestException(
            "Invalid 'dimensions': expected a value <= "
                + model.dimensions()
                + ", but got "
                + dimensions
                + " instead.",
            "dimensions");
      }
    }
  }
}
