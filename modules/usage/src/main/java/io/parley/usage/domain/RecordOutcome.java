package io.parley.usage.domain;

/**
 * What recording one usage record did.
 *
 * @param requestId the record's request id
 * @param costMicros cost charged (0 when replayed)
 * @param replayed whether the request id was already in the ledger (nothing charged again)
 */
public record RecordOutcome(String requestId, long costMicros, boolean replayed) {}
