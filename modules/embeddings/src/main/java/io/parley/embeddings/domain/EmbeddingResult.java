package io.parley.embeddings.domain;

import java.util.List;

/**
 * The vectors of one request.
 *
 * @param vectors one L2-normalised vector per input, in input order
 * @param promptTokens tokens the model read, special tokens included, summed over the inputs
 */
public record EmbeddingResult(List<float[]> vectors, int promptTokens) {
  public EmbeddingResult {
    vectors = List.copyOf(vectors);
  }
}
