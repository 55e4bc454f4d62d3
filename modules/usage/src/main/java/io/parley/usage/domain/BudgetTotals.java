package io.parley.usage.domain;

/**
 * The amounts of one budget (organization and period) at one moment.
 *
 * @param spentMicros settled cost
 * @param reservedMicros cost held by reservations of requests in flight
 * @param heldMicros cost held by live budget leases
 */
public record BudgetTotals(long spentMicros, long reservedMicros, long heldMicros) {

  /** An untouched budget. */
  public static final BudgetTotals ZERO = new BudgetTotals(0, 0, 0);

  /** spent + reserved + held: what the hard limit is checked against. */
  public long committedMicros() {
    return spentMicros + reservedMicros + heldMicros;
  }
}
