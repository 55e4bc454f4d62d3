package io.parley.gateway.api.rest;

import io.parley.gateway.application.Admission;
import io.parley.gateway.application.ChunkStream;
import io.parley.gateway.application.ContentScreening;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.application.TextGeneration;
import io.parley.gateway.application.TokenEstimate;
import io.parley.gateway.domain.Caller;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import jakarta.ws.rs.core.StreamingOutput;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What both generation endpoints do between parsing a request and shaping the answer: screen the
 * prompts by the organization's policy, admit the request (rate limits, usage reservation), run it
 * whole or streamed, and bill what the engine generated — the reservation is released when nothing
 * ran.
 *
 * @param generation the inference calls
 * @param admission rate limits and metering
 * @param screening the organization's moderation policy
 * @param defaultMaxTokens completion tokens reserved per sequence when max_tokens is absent
 */
record GenerationFlow(
    TextGeneration generation,
    Admission admission,
    ContentScreening screening,
    int defaultMaxTokens) {

  /**
   * Runs one request.
   *
   * @param param the request field the prompts came from ({@code messages} or {@code prompt})
   * @param streamed shapes a stream: the chunks, and what to run once it ended (billing)
   * @param whole shapes a whole answer
   */
  GenerationEndpoint.Reply run(
      Caller caller,
      String requestId,
      String model,
      List<GenerateRequest> prompts,
      boolean stream,
      String param,
      Consumer<RateLimitDecision> onDecision,
      BiFunction<ChunkStream, Runnable, StreamingOutput> streamed,
      Function<GenerateResponse, Object> whole) {
    var estimate = TokenEstimate.of(prompts, defaultMaxTokens);
    screening.screenInput(caller, requestId, prompts, param);
    var ticket = admission.admit(caller, requestId, model, estimate, onDecision);
    if (stream) {
      ChunkStream chunks;
      try {
        chunks = generation.stream(prompts);
      } catch (RuntimeException e) {
        ticket.release();
        throw e;
      }
      return GenerationEndpoint.Reply.stream(
          streamed.apply(chunks, () -> ticket.finish(chunks.billable(estimate))));
    }
    GenerateResponse response;
    try {
      response = generation.generate(prompts);
    } catch (RuntimeException e) {
      ticket.release();
      throw e;
    }
    ticket.finish(response.getUsage());
    return GenerationEndpoint.Reply.json(
        whole.apply(screening.screenOutput(caller, requestId, response)));
  }
}
