package io.parley.gateway.domain;

import java.util.Map;

/**
 * The organization reached its hard monthly budget (HTTP 429 {@code insufficient_quota}, with
 * {@code x-should-retry: false}: retrying does not help until the budget is raised). Raised when
 * the organization's leased budget cannot cover a request's estimated cost.
 */
public class QuotaExceededException extends GatewayException {

  /** OpenAI's message. */
  public static final String MESSAGE =
      "You exceeded your current quota, please check your plan and billing details.";

  public QuotaExceededException() {
    super(
        429,
        "insufficient_quota",
        "insufficient_quota",
        null,
        MESSAGE,
        Map.of("x-should-retry", "false"));
  }
}
