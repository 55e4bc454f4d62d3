package io.parley.gateway.api.rest;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Sets OpenAI's headers on every response: {@code x-request-id}, {@code openai-version} and {@code
 * openai-processing-ms}. Response filters run before the entity is written, so a stream carries
 * them too (measured up to its first byte).
 */
@Provider
public class ResponseHeadersFilter implements ContainerResponseFilter {

  /** The API version OpenAI reports. */
  static final String OPENAI_VERSION = "2020-10-01";

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    var headers = response.getHeaders();
    var id = request.getProperty(RequestIds.PROPERTY);
    headers.putSingle("x-request-id", id != null ? id : RequestIds.next());
    headers.putSingle("openai-version", OPENAI_VERSION);
    if (request.getProperty(RequestIds.STARTED) instanceof Long started) {
      headers.putSingle(
          "openai-processing-ms", Long.toString((System.nanoTime() - started) / 1_000_000));
    }
  }
}
