package io.parley.gateway.api.rest;

import io.parley.gateway.application.Authentication;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;
import java.util.Optional;

/**
 * First thing on every request: gives it an id and a start time, then requires a valid API key on
 * {@code /v1} (before matching, so unknown {@code /v1} paths also need one) and records who the
 * caller is, in which organization ({@code OpenAI-Organization}).
 */
@Provider
@PreMatching
@Priority(Priorities.AUTHENTICATION)
public class RequestFilter implements ContainerRequestFilter {

  /** The request header that picks one of the caller's organizations. */
  static final String ORGANIZATION_HEADER = "OpenAI-Organization";

  @Inject Authentication authentication;

  @Override
  public void filter(ContainerRequestContext request) {
    request.setProperty(RequestIds.PROPERTY, RequestIds.next());
    request.setProperty(RequestIds.STARTED, System.nanoTime());
    var path = request.getUriInfo().getPath();
    if (path.startsWith("/")) {
      path = path.substring(1);
    }
    if (path.equals("v1") || path.startsWith("v1/")) {
      var caller =
          authentication.authenticate(
              Optional.ofNullable(request.getHeaderString(HttpHeaders.AUTHORIZATION)),
              Optional.ofNullable(request.getHeaderString(ORGANIZATION_HEADER)));
      request.setProperty(Callers.PROPERTY, caller);
    }
  }
}
