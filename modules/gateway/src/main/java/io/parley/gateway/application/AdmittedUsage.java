package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;

/**
 * A request as admission let it run: what the usage ledger needs to bill it.
 *
 * @param requestId idempotency key of the usage record (the request id the client saw)
 * @param organization organization billed
 * @param apiKeyId key used
 * @param model model id
 * @param estimated the tokens it was admitted for (billed as such if its end is never seen)
 * @param leaseId the budget lease it was admitted against; empty for none (no hard limit, credit)
 */
public record AdmittedUsage(
    String requestId,
    String organization,
    String apiKeyId,
    String model,
    TokenUsage estimated,
    String leaseId) {}
