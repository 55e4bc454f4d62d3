package io.parley.usage.domain;

import java.util.Optional;

/**
 * What a Settle did.
 *
 * @param costMicros cost billed for the request (the first Settle's, on a retry)
 * @param replayed whether the request had already been settled
 * @param notification the soft-limit notification this settlement raised, if any
 */
public record SettleOutcome(
    long costMicros, boolean replayed, Optional<Notification> notification) {}
