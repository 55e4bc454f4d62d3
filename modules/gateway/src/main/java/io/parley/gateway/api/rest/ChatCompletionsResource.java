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
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code POST /v1/chat/completions}, whole or streamed. */
@ApplicationScoped
@Path("/v1/chat/completions")
public class ChatCompletionsResource {

  private TextGeneration generation;
  private long maxBodyBytes;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected ChatCompletionsResource() {}

  @Inject
  public ChatCompletionsResource(
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
    var call = ChatCompletionRequests.parse(json, requestId);
    var id = Ids.next("chatcmpl-");
    long created = GenerationEndpoint.now();
    if (call.stream()) {
      var chunks = generation.stream(List.of(call.request()));
      return GenerationEndpoint.Reply.stream(
          new ChatStreamOutput(chunks, call, id, created, requestId, retryAfterSeconds));
    }
    var response = generation.generate(List.of(call.request()));
    return GenerationEndpoint.Reply.json(
        OpenAiShapes.chatCompletion(id, created, call.model(), response, call.logprobs()));
  }
}
