package io.parley.embeddings.domain;

import java.util.List;
import java.util.OptionalInt;

/**
 * What to embed.
 *
 * @param inputs the inputs, embedded in order
 * @param dimensions the vector size asked for; empty = the model's own
 */
public record EmbeddingRequest(List<EmbeddingInput> inputs, OptionalInt dimensions) {
  public EmbeddingRequest {
    inputs = List.copyOf(inputs);
  }
}
