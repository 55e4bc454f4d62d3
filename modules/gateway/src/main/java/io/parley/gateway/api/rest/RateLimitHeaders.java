package io.parley.gateway.api.rest;

/** Where a resource leaves the rate-limit decision of a request for the response headers. */
final class RateLimitHeaders {

  /** Request property holding the {@link io.parley.gateway.application.RateLimitDecision}. */
  static final String PROPERTY = "parley.rate-limit";

  private RateLimitHeaders() {}
}
