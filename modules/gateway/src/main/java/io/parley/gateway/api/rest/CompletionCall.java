package io.parley.gateway.api.rest;

import io.parley.inference.v1.GenerateRequest;
import java.util.List;

/**
 * A validated legacy completion request: one inference request per prompt.
 *
 * @param prompts one request per prompt (same parameters, same {@code n})
 * @param stream whether to answer with server-sent events
 * @param includeUsage whether the stream ends with a usage chunk
 * @param logprobs whether choices carry log probabilities
 */
record CompletionCall(
    List<GenerateRequest> prompts, boolean stream, boolean includeUsage, boolean logprobs) {

  String model() {
    return prompts.getFirst().getModel();
  }
}
