package io.parley.usage.application;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/** Billing periods are calendar months in UTC. */
public final class BillingPeriod {

  private BillingPeriod() {}

  /** Start of the period holding {@code instant}, seconds since the epoch. */
  public static long startOf(Instant instant) {
    return YearMonth.from(instant.atOffset(ZoneOffset.UTC))
        .atDay(1)
        .atStartOfDay()
        .toEpochSecond(ZoneOffset.UTC);
  }

  /** End (exclusive) of the period starting at {@code start}. */
  public static long endOf(long start) {
    return YearMonth.from(Instant.ofEpochSecond(start).atOffset(ZoneOffset.UTC))
        .plusMonths(1)
        .atDay(1)
        .atStartOfDay()
        .toEpochSecond(ZoneOffset.UTC);
  }
}
