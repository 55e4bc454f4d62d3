package io.parley.gateway.api.rest;

import io.parley.gateway.domain.AuthenticationException;
import io.parley.gateway.domain.Caller;
import jakarta.servlet.http.HttpServletRequest;

/** Where the request filter leaves the authenticated {@link Caller} of a request. */
final class Callers {

  /** Request property holding the {@link Caller}. */
  static final String PROPERTY = "parley.caller";

  private Callers() {}

  /**
   * The caller of an authenticated request.
   *
   * @throws AuthenticationException when the request was not authenticated (the request filter
   *     authenticates every {@code /v1} request, so a resource never meets one): 401, as for a
   *     request without a key
   */
  static Caller of(HttpServletRequest request) {
    if (request.getAttribute(PROPERTY) instanceof Caller caller) {
      return caller;
    }
    throw AuthenticationException.missingKey();
  }
}
