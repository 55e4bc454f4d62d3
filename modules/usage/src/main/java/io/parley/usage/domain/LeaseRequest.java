package io.parley.usage.domain;

/**
 * A share of an organization's hard-limit budget asked for by one gateway replica.
 *
 * @param leaseId idempotency key chosen by the gateway
 * @param organizationId organization
 * @param holder who asks (a gateway replica), for operators
 * @param requestedMicros micro-dollars asked for (the grant may be less)
 * @param periodStart billing period, seconds since the epoch
 * @param nowMillis when
 * @param expiresAtMillis when the lease lapses
 */
public record LeaseRequest(
    String leaseId,
    String organizationId,
    String holder,
    long requestedMicros,
    long periodStart,
    long nowMillis,
    long expiresAtMillis) {}
