package io.parley.inference.domain;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One completion or chat-completion request as the engine sees it.
 *
 * @param requestId identifier used in logs
 * @param organization the caller's organization; admission is fair (round-robin) across
 *     organizations
 * @param prompt what to continue
 * @param maxTokens completion tokens per choice; empty means up to the end of the context
 * @param n number of choices returned
 * @param bestOf number of sequences generated; the {@code n} with the highest mean token logprob
 *     are returned (must be at least {@code n}; when larger, results are only reported at the end)
 * @param stop up to 4 strings; generation stops before the first occurrence, which is not returned
 * @param sampling sampling parameters
 * @param logprobs empty for none; otherwise the number (0..20) of most likely alternatives reported
 *     per token
 * @param echo whether the prompt is reported back before the completion
 */
public record GenerationRequest(
    String requestId,
    String organization,
    Prompt prompt,
    OptionalInt maxTokens,
    int n,
    int bestOf,
    List<String> stop,
    SamplingParams sampling,
    OptionalInt logprobs,
    boolean echo) {

  public GenerationRequest {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(organization, "organization");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(maxTokens, "maxTokens");
    stop = List.copyOf(stop);
    Objects.requireNonNull(sampling, "sampling");
    Objects.requireNonNull(logprobs, "logprobs");
  }
}
