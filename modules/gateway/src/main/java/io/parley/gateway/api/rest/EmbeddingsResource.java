package io.parley.gateway.api.rest;

import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.application.TextEmbedding;
import io.parley.gateway.domain.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code POST /v1/embeddings}: validated here ({@link EmbeddingRequests}), embedded by the
 * embeddings service, rate-limited and metered on prompt tokens ({@link TextEmbedding}), answered
 * as OpenAI does ({@link EmbeddingsOutput}).
 */
@ApplicationScoped
@Path("/v1/embeddings")
public class EmbeddingsResource {

  private TextEmbedding embedding;
  private long maxBodyBytes;

  /** For CDI proxies. */
  protected EmbeddingsResource() {}

  @Inject
  public EmbeddingsResource(
      TextEmbedding embedding,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes) {
    this.embedding = embedding;
    this.maxBodyBytes = maxBodyBytes;
  }

  @POST
  public Response create(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    var output =
        create(
            Callers.of(request),
            GenerationEndpoint.requestId(request),
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            decision -> request.setAttribute(RateLimitHeaders.PROPERTY, decision));
    return Response.ok(output, MediaType.APPLICATION_JSON_TYPE).build();
  }

  EmbeddingsOutput create(
      Caller caller,
      String requestId,
      String contentType,
      long contentLength,
      InputStream body,
      Consumer<RateLimitDecision> onDecision) {
    var json = RequestBodies.read(contentType, contentLength, body, maxBodyBytes);
    var call = EmbeddingRequests.parse(json, requestId);
    var response = embedding.embed(caller, call.request(), onDecision);
    return new EmbeddingsOutput(call.request().getModel(), response, call.base64());
  }
}
