package io.parley.usage.domain;

/**
 * An organization's spend in one billing period (a calendar month, UTC).
 *
 * @param periodStart seconds since the epoch
 * @param periodEnd exclusive
 * @param spentMicros settled cost
 * @param reservedMicros cost held by reservations of requests in flight
 * @param heldMicros cost held by live budget leases (gateway replicas admitting against them)
 * @param softLimitMicros soft limit, 0 = none
 * @param hardLimitMicros hard limit, 0 = none
 * @param softLimitReachedAt when the soft limit was reached, 0 = not yet
 */
public record Budget(
    long periodStart,
    long periodEnd,
    long spentMicros,
    long reservedMicros,
    long heldMicros,
    long softLimitMicros,
    long hardLimitMicros,
    long softLimitReachedAt) {}
