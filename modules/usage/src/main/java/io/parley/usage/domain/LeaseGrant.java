package io.parley.usage.domain;

/**
 * What a LeaseBudget granted.
 *
 * @param unlimited the organization has no hard limit: nothing is held
 * @param grantedMicros micro-dollars granted (0 when the hard limit is reached, or unlimited)
 * @param expiresAtMillis when the lease lapses (0 when unlimited)
 * @param remainingMicros hard limit minus spent, reserved and held after the grant; -1 when
 *     unlimited
 * @param softLimitReached whether spent + reserved + held has reached the soft limit
 */
public record LeaseGrant(
    boolean unlimited,
    long grantedMicros,
    long expiresAtMillis,
    long remainingMicros,
    boolean softLimitReached) {

  /** The answer for an organization without a hard limit. */
  public static final LeaseGrant UNLIMITED = new LeaseGrant(true, 0, 0, -1, false);
}
