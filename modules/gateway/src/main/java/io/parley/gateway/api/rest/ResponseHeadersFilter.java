package io.parley.gateway.api.rest;

import io.parley.gateway.application.Admission;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.domain.Caller;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Sets OpenAI's headers on every response: {@code x-request-id}, {@code openai-version} and {@code
 * openai-processing-ms}; on authenticated {@code /v1} responses also {@code openai-organization}
 * and the {@code x-ratelimit-*} headers (the decision of a generation, or the current state of the
 * caller's buckets for other requests). Response filters run before the entity is written, so a
 * stream carries them too (measured up to its first byte).
 */
@Provider
public class ResponseHeadersFilter implements ContainerResponseFilter {

  /** The API version OpenAI reports. */
  static final String OPENAI_VERSION = "2020-10-01";

  @Inject Admission admission;

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    var headers = response.getHeaders();
    var id = request.getProperty(RequestIds.PROPERTY);
    headers.putSingle("x-request-id", id != null ? id : RequestIds.next());
    headers.putSingle("openai-version", OPENAI_VERSION);
    if (request.getProperty(Callers.PROPERTY) instanceof Caller caller) {
      headers.putSingle("openai-organization", caller.organization());
      var decision =
          request.getProperty(RateLimitHeaders.PROPERTY) instanceof RateLimitDecision known
              ? known
              : admission == null ? RateLimitDecision.UNLIMITED : admission.peek(caller);
      decision.headers().forEach(headers::putSingle);
    }
    if (request.getProperty(RequestIds.STARTED) instanceof Long started) {
      headers.putSingle(
          "openai-processing-ms", Long.toString((System.nanoTime() - started) / 1_000_000));
    }
  }
}
