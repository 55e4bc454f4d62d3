package io.parley.inference.domain;

/**
 * Token counts of one request.
 *
 * @param promptTokens prompt tokens, counted once however many choices were generated
 * @param completionTokens generated tokens summed over all sequences, including {@code best_of}
 *     ones that were not returned
 */
public record Usage(int promptTokens, int completionTokens) {
  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
