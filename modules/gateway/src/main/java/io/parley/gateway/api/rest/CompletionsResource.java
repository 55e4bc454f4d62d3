package io.parley.gateway.api.rest;

import io.parley.common.ids.Ids;
import io.parley.gateway.application.TextGeneration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code POST /v1/completions} (legacy), whole or streamed. */
@ApplicationScoped
@Path("/v1/completions")
public class CompletionsResource {

  private TextGeneration generation;
  private long maxBodyBytes;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected CompletionsResource() {}

  @Inject
  public CompletionsResource(
      TextGeneration generation,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.generation = generation;
    this.maxBodyBytes = maxBodyBytes;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  @POST
  public Response create(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    return create(
            GenerationEndpoint.requestId(request),
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body)
        .toResponse();
  }

  GenerationEndpoint.Reply create(
      String requestId, String contentType, long contentLength, InputStream body) {
    var json = RequestBodies.read(contentType, contentLength, body, maxBodyBytes);
    var call = CompletionRequests.parse(json, requestId);
    var id = Ids.next("cmpl-");
    long created = GenerationEndpoint.now();
    if (call.stream()) {
      var chunks = generation.stream(call.prompts());
      return GenerationEndpoint.Reply.stream(
          new TextStreamOutput(chunks, call, id, created, requestId, retryAfterSeconds));
    }
    var response = generation.generate(call.prompts());
    return GenerationEndpoint.Reply.json(
        OpenAiShapes.textCompletion(id, created, call.model(), response, call.logprobs()));
  }
}
