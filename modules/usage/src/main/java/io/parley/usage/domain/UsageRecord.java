package io.parley.usage.domain;

/**
 * The usage of one finished request, as a gateway reports it in a batch.
 *
 * @param requestId idempotency key
 * @param organizationId organization billed
 * @param apiKeyId key used (may be empty)
 * @param model model id
 * @param tokens tokens actually used
 * @param leaseId lease the request was admitted against; empty when none
 * @param finishedAtMillis when the request finished (selects the billing period); 0 = now
 * @param interrupted whether the gateway never saw the request finish
 */
public record UsageRecord(
    String requestId,
    String organizationId,
    String apiKeyId,
    String model,
    TokenCounts tokens,
    String leaseId,
    long finishedAtMillis,
    boolean interrupted) {}
