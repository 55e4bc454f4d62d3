package io.parley.gateway.domain;

import java.util.Collection;

/**
 * The organization screens its inputs and the safety classifier flagged this one (HTTP 400, code
 * {@code content_filter}); nothing was generated or billed.
 */
public class ContentFlaggedException extends GatewayException {

  /**
   * @param param the request field that was flagged ({@code messages} or {@code prompt})
   * @param categories the moderation categories that were flagged
   */
  public ContentFlaggedException(String param, Collection<String> categories) {
    super(
        400,
        INVALID_REQUEST,
        "content_filter",
        param,
        "Your request was rejected by this organization's content policy (flagged: "
            + String.join(", ", categories)
            + ").");
  }
}
