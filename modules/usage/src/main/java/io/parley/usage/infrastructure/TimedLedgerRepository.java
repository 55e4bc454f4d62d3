package io.parley.usage.infrastructure;

import io.micrometer.core.instrument.Timer;
import io.parley.common.telemetry.Telemetry;
import io.parley.usage.domain.BudgetTotals;
import io.parley.usage.domain.Cost;
import io.parley.usage.domain.LeaseGrant;
import io.parley.usage.domain.LeaseRequest;
import io.parley.usage.domain.LedgerEntry;
import io.parley.usage.domain.LedgerRepository;
import io.parley.usage.domain.Notification;
import io.parley.usage.domain.RecordedBatch;
import io.parley.usage.domain.Reservation;
import io.parley.usage.domain.ReservationState;
import io.parley.usage.domain.ReserveOutcome;
import io.parley.usage.domain.SettleOutcome;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UnreservedUsage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Times the ledger's writes ({@code parley_usage_ledger_write_duration_seconds{operation}}:
 * reserve, settle, release, record (a whole usage batch), lease, return_lease — each one database
 * transaction); reads pass through untimed.
 */
final class TimedLedgerRepository implements LedgerRepository {

  private static final Duration[] BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(5)
  };

  private final LedgerRepository ledger;
  private final Timer reserve;
  private final Timer settle;
  private final Timer release;
  private final Timer record;
  private final Timer lease;
  private final Timer returnLease;

  TimedLedgerRepository(LedgerRepository ledger) {
    this.ledger = ledger;
    this.reserve = timer("reserve");
    this.settle = timer("settle");
    this.release = timer("release");
    this.record = timer("record");
    this.lease = timer("lease");
    this.returnLease = timer("return_lease");
  }

  @Override
  public ReserveOutcome reserve(
      Reservation reservation, long softLimitMicros, long hardLimitMicros) {
    return time(reserve, () -> ledger.reserve(reservation, softLimitMicros, hardLimitMicros));
  }

  @Override
  public SettleOutcome settle(
      String requestId,
      TokenCounts actual,
      Function<String, Cost> pricing,
      Optional<UnreservedUsage> unreserved,
      long softLimitMicros,
      long nowMillis) {
    return time(
        settle,
        () -> ledger.settle(requestId, actual, pricing, unreserved, softLimitMicros, nowMillis));
  }

  @Override
  public ReservationState release(String requestId, long nowMillis) {
    return time(release, () -> ledger.release(requestId, nowMillis));
  }

  @Override
  public Optional<String> organizationOf(String requestId) {
    return ledger.organizationOf(requestId);
  }

  @Override
  public RecordedBatch record(
      List<LedgerEntry> entries, Map<String, Long> softLimits, long nowMillis) {
    return time(record, () -> ledger.record(entries, softLimits, nowMillis));
  }

  @Override
  public LeaseGrant lease(LeaseRequest request, long softLimitMicros, long hardLimitMicros) {
    return time(lease, () -> ledger.lease(request, softLimitMicros, hardLimitMicros));
  }

  @Override
  public long returnLease(String leaseId, String organizationId, long nowMillis) {
    return time(returnLease, () -> ledger.returnLease(leaseId, organizationId, nowMillis));
  }

  @Override
  public int endExpiredLeases(long nowMillis) {
    return ledger.endExpiredLeases(nowMillis);
  }

  @Override
  public BudgetTotals totals(String organizationId, long periodStart, long nowMillis) {
    return ledger.totals(organizationId, periodStart, nowMillis);
  }

  @Override
  public long softLimitReachedAt(String organizationId, long periodStart) {
    return ledger.softLimitReachedAt(organizationId, periodStart);
  }

  @Override
  public List<String> staleReservations(long beforeMillis, int max) {
    return ledger.staleReservations(beforeMillis, max);
  }

  @Override
  public List<Notification> notifications(String organizationId) {
    return ledger.notifications(organizationId);
  }

  @Override
  public void markDelivered(String notificationId, long atSeconds) {
    ledger.markDelivered(notificationId, atSeconds);
  }

  private static <T> T time(Timer timer, Supplier<T> write) {
    long start = System.nanoTime();
    try {
      return write.get();
    } finally {
      timer.record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private static Timer timer(String operation) {
    return Timer.builder("parley.usage.ledger.write.duration")
        .description("Usage ledger writes (one transaction each), by operation")
        .tag("operation", operation)
        .serviceLevelObjectives(BUCKETS)
        .register(Telemetry.get().meters());
  }
}
