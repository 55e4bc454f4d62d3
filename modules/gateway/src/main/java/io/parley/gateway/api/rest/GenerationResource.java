package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.application.GenerationFlow;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.domain.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * What the two generation endpoints share: reading the body within the size limit, the caller and
 * request id the filters found, and the {@link GenerationFlow} that screens, admits, runs and
 * bills. Each endpoint parses its own request shape and shapes its own answer (JSON or an event
 * stream).
 */
abstract class GenerationResource {

  GenerationFlow flow;
  long maxBodyBytes;
  int retryAfterSeconds;

  /** For CDI proxies. */
  GenerationResource() {}

  GenerationResource(GenerationFlow flow, long maxBodyBytes, int retryAfterSeconds) {
    this.flow = flow;
    this.maxBodyBytes = maxBodyBytes;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Answers a request whose body is already read: parse, run through the flow, shape. */
  abstract GenerationEndpoint.Reply reply(
      Caller caller, String requestId, ObjectNode json, Consumer<RateLimitDecision> onDecision);

  /** The HTTP entry point of the subclass's {@code @POST} method. */
  Response post(HttpHeaders headers, HttpServletRequest request, InputStream body) {
    return create(
            Callers.of(request),
            GenerationEndpoint.requestId(request),
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            decision -> request.setAttribute(RateLimitHeaders.PROPERTY, decision))
        .toResponse();
  }

  GenerationEndpoint.Reply create(
      Caller caller,
      String requestId,
      String contentType,
      long contentLength,
      InputStream body,
      Consumer<RateLimitDecision> onDecision) {
    var json = RequestBodies.read(contentType, contentLength, body, maxBodyBytes);
    return reply(caller, requestId, json, onDecision);
  }
}
