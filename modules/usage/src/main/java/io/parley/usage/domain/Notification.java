package io.parley.usage.domain;

/**
 * A notification raised for an organization.
 *
 * @param id {@code ntf-…}
 * @param organizationId organization
 * @param kind {@code soft_limit_reached}
 * @param periodStart billing period start, seconds since the epoch
 * @param thresholdMicros the limit crossed
 * @param amountMicros spent plus reserved when it was crossed
 * @param createdAt seconds since the epoch
 * @param deliveredAt when a webhook accepted it, 0 = not delivered
 */
public record Notification(
    String id,
    String organizationId,
    String kind,
    long periodStart,
    long thresholdMicros,
    long amountMicros,
    long createdAt,
    long deliveredAt) {

  /** Kind of the soft-limit notification. */
  public static final String SOFT_LIMIT_REACHED = "soft_limit_reached";
}
