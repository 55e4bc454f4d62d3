package io.parley.gateway.api.rest;

import io.parley.common.ids.Ids;
import io.parley.gateway.application.Admission;
import io.parley.gateway.application.ChunkStream;
import io.parley.gateway.application.ContentScreening;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.application.TextGeneration;
import io.parley.gateway.application.TokenEstimate;
import io.parley.gateway.domain.Caller;
import io.parley.inference.v1.GenerateResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code POST /v1/completions} (legacy), whole or streamed. */
@ApplicationScoped
@Path("/v1/completions")
public class CompletionsResource {

  private TextGeneration generation;
  private Admission admission;
  private ContentScreening screening;
  private long maxBodyBytes;
  private int retryAfterSeconds;
  private int defaultMaxTokens;

  /** For CDI proxies. */
  protected CompletionsResource() {}

  /** Without rate limits or metering. */
  public CompletionsResource(TextGeneration generation, long maxBodyBytes, int retryAfterSeconds) {
    this(generation, Admission.unlimited(), maxBodyBytes, retryAfterSeconds, 512);
  }

  /** Without moderation screening. */
  public CompletionsResource(
      TextGeneration generation,
      Admission admission,
      long maxBodyBytes,
      int retryAfterSeconds,
      int defaultMaxTokens) {
    this(
        generation,
        admission,
        ContentScreening.disabled(),
        maxBodyBytes,
        retryAfterSeconds,
        defaultMaxTokens);
  }

  @Inject
  public CompletionsResource(
      TextGeneration generation,
      Admission admission,
      ContentScreening screening,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds,
      @ConfigProperty(name = "parley.gateway.limits.default-max-tokens") int defaultMaxTokens) {
    this.generation = generation;
    this.admission = admission;
    this.screening = screening;
    this.maxBodyBytes = maxBodyBytes;
    this.retryAfterSeconds = retryAfterSeconds;
    this.defaultMaxTokens = defaultMaxTokens;
  }

  @POST
  public Response create(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    return create(
            GenerationEndpoint.caller(request),
            GenerationEndpoint.requestId(request),
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            decision -> request.setAttribute(RateLimitHeaders.PROPERTY, decision))
        .toResponse();
  }

  GenerationEndpoint.Reply create(
      String requestId, String contentType, long contentLength, InputStream body) {
    return create(
        GenerationEndpoint.DEFAULT_CALLER,
        requestId,
        contentType,
        contentLength,
        body,
        decision -> {});
  }

  GenerationEndpoint.Reply create(
      Caller caller,
      String requestId,
      String contentType,
      long contentLength,
      InputStream body,
      Consumer<RateLimitDecision> onDecision) {
    var json = RequestBodies.read(contentType, contentLength, body, maxBodyBytes);
    var parsed = CompletionRequests.parse(json, requestId);
    var call =
        new CompletionCall(
            parsed.prompts().stream()
                .map(p -> p.toBuilder().setOrganization(caller.organization()).build())
                .toList(),
            parsed.stream(),
            parsed.includeUsage(),
            parsed.logprobs());
    var estimate = TokenEstimate.of(call.prompts(), defaultMaxTokens);
    screening.screenInput(caller, requestId, call.prompts(), "prompt");
    var ticket = admission.admit(caller, requestId, call.model(), estimate, onDecision);
    var id = Ids.next("cmpl-");
    long created = GenerationEndpoint.now();
    if (call.stream()) {
      ChunkStream chunks;
      try {
        chunks = generation.stream(call.prompts());
      } catch (RuntimeException e) {
        ticket.release();
        throw e;
      }
      return GenerationEndpoint.Reply.stream(
          new TextStreamOutput(
              chunks,
              call,
              id,
              created,
              requestId,
              retryAfterSeconds,
              () -> ticket.finish(chunks.billable(estimate))));
    }
    GenerateResponse response;
    try {
      response = generation.generate(call.prompts());
    } catch (RuntimeException e) {
      ticket.release();
      throw e;
    }
    ticket.finish(response.getUsage());
    response = screening.screenOutput(caller, requestId, response);
    return GenerationEndpoint.Reply.json(
        OpenAiShapes.textCompletion(id, created, call.model(), response, call.logprobs()));
  }
}
