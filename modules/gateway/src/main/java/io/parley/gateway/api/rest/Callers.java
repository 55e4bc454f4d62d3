package io.parley.gateway.api.rest;

import io.parley.gateway.domain.Caller;
import jakarta.servlet.http.HttpServletRequest;

/** Where the request filter leaves the authenticated {@link Caller} of a request. */
final class Callers {

  /** Request property holding the {@link Caller}. */
  static final String PROPERTY = "parley.caller";

  private Callers() {}

  /** The caller of an authenticated request. */
  static Caller of(HttpServletRequest request) {
    return GenerationEndpoint.caller(request);
  }
}
