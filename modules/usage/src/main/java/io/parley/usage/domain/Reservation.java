package io.parley.usage.domain;

/**
 * A reservation to make: the worst-case cost of one request.
 *
 * @param requestId idempotency key
 * @param organizationId organization billed
 * @param apiKeyId key used (may be empty)
 * @param userId user behind the key (may be empty)
 * @param model model id
 * @param estimated worst-case tokens
 * @param cost worst-case cost
 * @param periodStart billing period, seconds since the epoch
 * @param nowMillis when
 */
public record Reservation(
    String requestId,
    String organizationId,
    String apiKeyId,
    String userId,
    String model,
    TokenCounts estimated,
    Cost cost,
    long periodStart,
    long nowMillis) {}
