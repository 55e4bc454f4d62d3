package io.parley.usage.domain;

import java.util.List;

/**
 * Limits of an organization; 0 means none.
 *
 * @param requestsPerMinute requests per minute
 * @param tokensPerMinute tokens per minute
 * @param softLimitMicros monthly soft limit in micro-dollars (one notification per period)
 * @param hardLimitMicros monthly hard limit in micro-dollars (reservations past it are refused)
 * @param modelLimits per-model rate limits
 */
public record Limits(
    long requestsPerMinute,
    long tokensPerMinute,
    long softLimitMicros,
    long hardLimitMicros,
    List<ModelRateLimit> modelLimits) {

  /** No limits at all. */
  public static final Limits NONE = new Limits(0, 0, 0, 0, List.of());

  public Limits {
    modelLimits = List.copyOf(modelLimits);
  }

  /**
   * Rate limits of one model.
   *
   * @param model model id
   * @param requestsPerMinute requests per minute, 0 = none
   * @param tokensPerMinute tokens per minute, 0 = none
   */
  public record ModelRateLimit(String model, long requestsPerMinute, long tokensPerMinute) {}
}
