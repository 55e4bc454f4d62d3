package io.parley.gateway.api.rest;

import io.parley.inference.v1.GenerateRequest;

/**
 * A validated chat completion request.
 *
 * @param request what to ask the inference service
 * @param stream whether to answer with server-sent events
 * @param includeUsage whether the stream ends with a usage chunk
 * @param logprobs whether choices carry log probabilities
 */
record ChatCompletionCall(
    GenerateRequest request, boolean stream, boolean includeUsage, boolean logprobs) {

  String model() {
    return request.getModel();
  }
}
