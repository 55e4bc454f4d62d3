package io.parley.gateway.domain;

import java.util.Map;

/**
 * The rate limits of one organization.
 *
 * @param organization organization-wide limits
 * @param models limits per model id, in addition to the organization-wide ones
 */
public record OrganizationLimits(RateLimits organization, Map<String, RateLimits> models) {

  /** No limits. */
  public static final OrganizationLimits NONE = new OrganizationLimits(RateLimits.NONE, Map.of());

  public OrganizationLimits {
    models = Map.copyOf(models);
  }
}
