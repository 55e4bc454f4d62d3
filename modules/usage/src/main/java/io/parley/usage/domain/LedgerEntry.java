package io.parley.usage.domain;

/**
 * A usage record ready for the ledger: priced, with its user and billing period.
 *
 * @param record the record as reported
 * @param userId user behind the key (may be empty)
 * @param cost cost of the tokens
 * @param periodStart billing period, seconds since the epoch
 * @param finishedAtMillis when the request finished
 */
public record LedgerEntry(
    UsageRecord record, String userId, Cost cost, long periodStart, long finishedAtMillis) {}
