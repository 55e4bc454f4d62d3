package io.parley.usage.domain;

import java.util.Optional;

/**
 * What a Reserve did.
 *
 * @param state RESERVED, or the state of an earlier call with the same request id
 * @param reservedMicros cost held
 * @param remainingMicros hard limit minus spent and reserved afterwards; -1 = no hard limit
 * @param notification the soft-limit notification this reservation raised, if any
 */
public record ReserveOutcome(
    ReservationState state,
    long reservedMicros,
    long remainingMicros,
    Optional<Notification> notification) {}
