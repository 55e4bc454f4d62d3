package io.parley.usage.domain;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The usage ledger and the per-period budgets. Every method is atomic and safe against concurrent
 * calls from any number of service replicas sharing the database.
 */
public interface LedgerRepository {

  /**
   * Holds the reservation's cost against the organization's budget, unless spent + reserved + held
   * by live leases + this cost would pass {@code hardLimitMicros} (0 = none). A request id seen
   * before returns that entry's state and holds nothing more. Raises the soft-limit notification,
   * once per period, when spent + reserved reaches {@code softLimitMicros}.
   *
   * @throws InsufficientQuotaException past the hard limit
   * @throws ConflictException when the request id belongs to another organization
   */
  ReserveOutcome reserve(Reservation reservation, long softLimitMicros, long hardLimitMicros);

  /**
   * Bills the actual tokens of a request: the first call counts, later ones return the same cost. A
   * released request is billed too. A request never reserved is recorded as is when {@code
   * unreserved} is given.
   *
   * @param pricing the cost of the tokens for a model
   * @throws NotFoundException when there is no reservation and no {@code unreserved}
   */
  SettleOutcome settle(
      String requestId,
      TokenCounts actual,
      Function<String, Cost> pricing,
      Optional<UnreservedUsage> unreserved,
      long softLimitMicros,
      long nowMillis);

  /**
   * Returns a reservation's cost to the budget. Returns the state after the call: RELEASED, or
   * SETTLED when the request was settled before (nothing changes then).
   *
   * @throws NotFoundException when the request id was never reserved
   */
  ReservationState release(String requestId, long nowMillis);

  /** Organization a request id was reserved for, if any. */
  Optional<String> organizationOf(String requestId);

  /**
   * Records the usage of finished requests in one transaction. A request id already in the ledger
   * (or earlier in the batch) changes nothing and is reported as replayed. Each budget row (an
   * organization and period) is locked and updated once; a record naming a live lease of its own
   * organization shrinks that lease's hold by its cost (floored at 0). Raises the soft-limit
   * notification, once per period, when spent + reserved reaches the organization's soft limit.
   *
   * @param softLimits organization id → soft limit in micro-dollars (0 or absent = none)
   * @throws ConflictException when a request id belongs to another organization (nothing is
   *     recorded)
   */
  RecordedBatch record(List<LedgerEntry> entries, Map<String, Long> softLimits, long nowMillis);

  /**
   * Grants a lease of min(requested, hard − spent − reserved − held by live leases) micro-dollars,
   * never less than 0, holding it against the budget until it is returned or expires. A lease id
   * seen before returns that lease's grant and holds nothing more.
   *
   * @throws ConflictException when the lease id belongs to another organization
   */
  LeaseGrant lease(LeaseRequest request, long softLimitMicros, long hardLimitMicros);

  /**
   * Ends a lease: what it still holds goes back to the budget (0 when it has expired or was
   * returned before).
   *
   * @return the micro-dollars that went back
   * @throws NotFoundException when the organization has no lease with that id
   */
  long returnLease(String leaseId, String organizationId, long nowMillis);

  /** Ends leases that expired at or before {@code nowMillis}; returns how many. */
  int endExpiredLeases(long nowMillis);

  /** Spent, reserved and live-lease amounts of one period (zeros when nothing happened yet). */
  BudgetTotals totals(String organizationId, long periodStart, long nowMillis);

  /** When the soft limit was reached in a period; 0 = not reached. */
  long softLimitReachedAt(String organizationId, long periodStart);

  /** Request ids reserved before {@code beforeMillis} and still neither settled nor released. */
  List<String> staleReservations(long beforeMillis, int max);

  /** Notifications of an organization, newest first. */
  List<Notification> notifications(String organizationId);

  /** Records that a webhook accepted a notification. */
  void markDelivered(String notificationId, long atSeconds);
}
