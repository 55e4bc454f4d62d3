package io.parley.usage.domain;

/**
 * Who to bill when a Settle arrives for a request that was never reserved.
 *
 * @param organizationId organization
 * @param apiKeyId key (may be empty)
 * @param userId user (may be empty)
 * @param model model id
 * @param periodStart billing period
 */
public record UnreservedUsage(
    String organizationId, String apiKeyId, String userId, String model, long periodStart) {}
