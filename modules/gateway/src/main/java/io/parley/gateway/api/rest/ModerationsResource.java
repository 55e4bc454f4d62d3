package io.parley.gateway.api.rest;

import io.parley.common.ids.Ids;
import io.parley.gateway.application.ContentModeration;
import io.parley.gateway.application.RateLimitDecision;
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
 * {@code POST /v1/moderations}: validated here ({@link ModerationRequests}), classified by the
 * safety service ({@link ContentModeration}), answered as OpenAI does ({@link ModerationsOutput}).
 */
@ApplicationScoped
@Path("/v1/moderations")
public class ModerationsResource {

  private ContentModeration moderation;
  private long maxBodyBytes;

  /** For CDI proxies. */
  protected ModerationsResource() {}

  @Inject
  public ModerationsResource(
      ContentModeration moderation,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes) {
    this.moderation = moderation;
    this.maxBodyBytes = maxBodyBytes;
  }

  @POST
  public Response create(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    var json =
        create(
            Callers.of(request),
            GenerationEndpoint.requestId(request),
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            decision -> request.setAttribute(RateLimitHeaders.PROPERTY, decision));
    return Response.ok(json, MediaType.APPLICATION_JSON_TYPE).build();
  }

  byte[] create(
      Caller caller,
      String requestId,
      String contentType,
      long contentLength,
      InputStream body,
      Consumer<RateLimitDecision> onDecision) {
    var json = RequestBodies.read(contentType, contentLength, body, maxBodyBytes);
    var request = ModerationRequests.parse(json, requestId);
    var response = moderation.moderate(caller, request, onDecision);
    return ModerationsOutput.json(Ids.next("modr-"), request.getModel(), response);
  }
}
