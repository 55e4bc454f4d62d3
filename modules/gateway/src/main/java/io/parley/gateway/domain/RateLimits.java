package io.parley.gateway.domain;

/**
 * Per-minute limits of one scope (an organization, a key, a model); 0 means no limit.
 *
 * @param requestsPerMinute requests per minute (RPM)
 * @param tokensPerMinute tokens per minute (TPM)
 */
public record RateLimits(long requestsPerMinute, long tokensPerMinute) {

  /** No limits at all. */
  public static final RateLimits NONE = new RateLimits(0, 0);

  public RateLimits {
    if (requestsPerMinute < 0 || tokensPerMinute < 0) {
      throw new IllegalArgumentException("limits cannot be negative");
    }
  }
}
