package io.parley.usage.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.persistence.Database;
import io.parley.usage.domain.ConflictException;
import io.parley.usage.domain.InsufficientQuotaException;
import io.parley.usage.domain.LeaseGrant;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Notification;
import io.parley.usage.domain.RecordOutcome;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UsageRecord;
import io.parley.usage.testsupport.MutableClock;
import io.parley.usage.testsupport.Stack;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * RecordUsage and budget leases through the ledger use cases on one database (the subclasses pick
 * PostgreSQL or H2): batches, idempotency, lease grants under concurrency, lease charging, expiry.
 * Model "m" costs 1 µ$ per prompt token and 2 µ$ per completion token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BatchedLedgerContract {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-10T12:00:00Z"));
  private final List<Notification> delivered = new CopyOnWriteArrayList<>();
  private Database database;
  private Stack stack;
  private String org;
  private String key;

  /** A migrated database for the whole class. */
  abstract Database openDatabase();

  /** Closes what {@link #openDatabase} opened. */
  abstract void closeDatabase(Database database);

  @BeforeAll
  void open() {
    database = openDatabase();
    stack = Stack.over(database, clock, Optional.empty(), delivered::add);
  }

  @AfterAll
  void close() {
    closeDatabase(database);
  }

  @BeforeEach
  void organization() {
    var created =
        stack.accounts().createOrganization("Acme", "owner-" + System.nanoTime() + "@acme.test");
    org = created.organization().id();
    key = stack.accounts().createApiKey(org, created.ownerUserId(), "k", 0).info().id();
  }

  private void hardLimit(long hard, long soft) {
    stack.accounts().setLimits(org, new Limits(0, 0, soft, hard, List.of()));
  }

  private UsageRecord record(String id, int prompt, int completion, String leaseId) {
    return new UsageRecord(
        id, org, key, "m", new TokenCounts(prompt, completion), leaseId, clock.millis(), false);
  }

  private List<UsageRecord> batch(String prefix, int n) {
    var records = new ArrayList<UsageRecord>();
    for (int i = 0; i < n; i++) {
      // Every third request was replayed from a gateway's journal.
      records.add(
          new UsageRecord(
              prefix + i,
              org,
              key,
              "m",
              new TokenCounts(10 + i % 7, 5),
              "",
              clock.millis() - i,
              i % 3 == 0));
    }
    return records;
  }

  private static long cost(UsageRecord r) {
    return r.tokens().prompt() + 2 * r.tokens().completion();
  }

  private long count(String sql, String param) throws Exception {
    try (var c = database.jdbc().dataSource().getConnection();
        var select = c.prepareStatement(sql)) {
      select.setString(1, param);
      try (var rs = select.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void recordUsage_batchOf500_recordsEveryRequestInOneCall() throws Exception {
    var records = batch("b500-" + System.nanoTime() + "-", 500);

    var outcomes = stack.ledger().recordUsage(records).outcomes();

    long expected = records.stream().mapToLong(BatchedLedgerContract::cost).sum();
    assertThat(outcomes).hasSize(500);
    assertThat(outcomes).extracting(RecordOutcome::replayed).containsOnly(false);
    assertThat(outcomes)
        .extracting(RecordOutcome::requestId)
        .containsExactlyElementsOf(records.stream().map(UsageRecord::requestId).toList());
    assertThat(outcomes.get(1).costMicros()).isEqualTo(cost(records.get(1)));
    assertThat(stack.ledger().budget(org).spentMicros()).isEqualTo(expected);
    assertThat(count("SELECT COUNT(*) FROM ledger WHERE organization_id = ? AND state = 'S'", org))
        .isEqualTo(500);
    assertThat(count("SELECT COUNT(*) FROM ledger WHERE organization_id = ? AND interrupted", org))
        .isEqualTo(167);
  }

  @Test
  void recordUsage_sameBatchAgain_isReplayed_andChargesNothing() {
    var records = batch("replay-" + System.nanoTime() + "-", 500);
    stack.ledger().recordUsage(records);
    long spent = stack.ledger().budget(org).spentMicros();

    var again = stack.ledger().recordUsage(records).outcomes();

    assertThat(again).extracting(RecordOutcome::replayed).containsOnly(true);
    assertThat(again).extracting(RecordOutcome::costMicros).containsOnly(0L);
    assertThat(stack.ledger().budget(org).spentMicros()).isEqualTo(spent);
  }

  @Test
  void recordUsage_requestIdTwiceInOneBatch_countsOnce() {
    var id = "dup-" + System.nanoTime();
    var outcomes =
        stack
            .ledger()
            .recordUsage(List.of(record(id, 10, 10, ""), record(id, 10, 10, "")))
            .outcomes();

    assertThat(outcomes).extracting(RecordOutcome::replayed).containsExactly(false, true);
    assertThat(stack.ledger().budget(org).spentMicros()).isEqualTo(30);
  }

  @Test
  void recordUsage_requestIdOfAnotherOrganization_refusesTheWholeBatch() {
    var theirs = "theirs-" + System.nanoTime();
    var other = stack.accounts().createOrganization("Other", "o-" + System.nanoTime() + "@x.test");
    stack
        .ledger()
        .recordUsage(
            List.of(
                new UsageRecord(
                    theirs,
                    other.organization().id(),
                    "",
                    "m",
                    new TokenCounts(1, 1),
                    "",
                    0,
                    false)));
    var mine = "mine-" + System.nanoTime();

    assertThatThrownBy(
            () ->
                stack
                    .ledger()
                    .recordUsage(List.of(record(mine, 1, 1, ""), record(theirs, 1, 1, ""))))
        .isInstanceOfSatisfying(
            ConflictException.class,
            e -> {
              assertThat(e.reason()).isEqualTo("request_id_conflict");
              assertThat(e.param()).contains("records[1].request_id");
            });
    assertThat(stack.ledger().budget(org).spentMicros()).isZero();
    assertThat(stack.ledger().recordUsage(List.of(record(mine, 1, 1, ""))).outcomes().getFirst())
        .extracting(RecordOutcome::replayed)
        .isEqualTo(false);
  }

  @Test
  void recordUsage_crossingTheSoftLimit_notifiesOnce() {
    hardLimit(0, 100);
    delivered.clear();
    stack.ledger().recordUsage(List.of(record("s1-" + System.nanoTime(), 30, 10, "")));
    stack.ledger().recordUsage(List.of(record("s2-" + System.nanoTime(), 30, 10, "")));
    stack.ledger().recordUsage(List.of(record("s3-" + System.nanoTime(), 30, 10, "")));

    assertThat(delivered).extracting(Notification::organizationId).containsExactly(org);
    assertThat(delivered.getFirst().amountMicros()).isEqualTo(100);
  }

  @Test
  void leaseBudget_withoutHardLimit_isUnlimited_andHoldsNothing() {
    hardLimit(0, 0);
    var grant = stack.ledger().leaseBudget(org, "lease-u-" + System.nanoTime(), "gw-0", 5_000);

    assertThat(grant).isEqualTo(LeaseGrant.UNLIMITED);
    assertThat(stack.ledger().budget(org).heldMicros()).isZero();
  }

  @Test
  void leaseBudget_grantsWhatRemains_andIsIdempotent() {
    hardLimit(10_000, 0);
    stack.ledger().recordUsage(List.of(record("pre-" + System.nanoTime(), 1_000, 500, "")));
    var id = "lease-i-" + System.nanoTime();

    var first = stack.ledger().leaseBudget(org, id, "gw-0", 20_000);
    var retry = stack.ledger().leaseBudget(org, id, "gw-0", 20_000);

    assertThat(first.unlimited()).isFalse();
    assertThat(first.grantedMicros()).isEqualTo(8_000);
    assertThat(first.remainingMicros()).isZero();
    assertThat(first.expiresAtMillis()).isEqualTo(clock.millis() + Stack.LEASE_TTL.toMillis());
    assertThat(retry.grantedMicros()).isEqualTo(8_000);
    assertThat(retry.expiresAtMillis()).isEqualTo(first.expiresAtMillis());
    assertThat(stack.ledger().budget(org).heldMicros()).isEqualTo(8_000);
    assertThat(stack.ledger().leaseBudget(org, id + "-2", "gw-1", 1).grantedMicros()).isZero();
  }

  @Test
  void leaseBudget_leaseIdOfAnotherOrganization_conflicts() {
    hardLimit(10_000, 0);
    var id = "lease-c-" + System.nanoTime();
    stack.ledger().leaseBudget(org, id, "gw-0", 100);
    var other = stack.accounts().createOrganization("Other", "o-" + System.nanoTime() + "@x.test");
    stack.accounts().setLimits(other.organization().id(), new Limits(0, 0, 0, 10_000, List.of()));

    assertThatThrownBy(() -> stack.ledger().leaseBudget(other.organization().id(), id, "gw-0", 100))
        .isInstanceOf(ConflictException.class);
  }

  @Test
  void reserve_countsLiveLeaseHolds() {
    hardLimit(10_000, 0);
    stack.ledger().leaseBudget(org, "lease-r-" + System.nanoTime(), "gw-0", 9_900);

    // 100 in + 100 out = 300 µ$ would pass 9,900 held + 300 > 10,000.
    assertThatThrownBy(
            () ->
                stack
                    .ledger()
                    .reserve("r-" + System.nanoTime(), org, key, "m", new TokenCounts(100, 100)))
        .isInstanceOf(InsufficientQuotaException.class);
    var ok =
        stack.ledger().reserve("r-" + System.nanoTime(), org, key, "m", new TokenCounts(50, 0));
    assertThat(ok.remainingMicros()).isEqualTo(50);
  }

  @Test
  void recordsAgainstALease_shrinkItsHold_flooredAtZero() {
    hardLimit(10_000, 0);
    var lease = "lease-x-" + System.nanoTime();
    stack.ledger().leaseBudget(org, lease, "gw-0", 1_000);
    var p = "lx-" + System.nanoTime() + "-";

    stack
        .ledger()
        .recordUsage(
            List.of(
                record(p + 1, 100, 100, lease),
                record(p + 2, 100, 100, lease),
                record(p + 3, 10, 0, "")));

    var budget = stack.ledger().budget(org);
    assertThat(budget.spentMicros()).isEqualTo(610);
    assertThat(budget.heldMicros()).isEqualTo(400);
    // 900 µ$ more than the 400 still held: the hold ends at 0, spent grows by all of it.
    stack.ledger().recordUsage(List.of(record(p + 4, 300, 300, lease)));
    budget = stack.ledger().budget(org);
    assertThat(budget.spentMicros()).isEqualTo(1_510);
    assertThat(budget.heldMicros()).isZero();
    assertThat(stack.ledger().returnLease(lease, org)).isZero();
  }

  @Test
  void returnLease_givesBackWhatIsHeld_once() {
    hardLimit(10_000, 0);
    var lease = "lease-ret-" + System.nanoTime();
    stack.ledger().leaseBudget(org, lease, "gw-0", 3_000);
    stack.ledger().recordUsage(List.of(record("rt-" + System.nanoTime(), 500, 0, lease)));

    assertThat(stack.ledger().returnLease(lease, org)).isEqualTo(2_500);
    assertThat(stack.ledger().returnLease(lease, org)).isZero();
    assertThat(stack.ledger().budget(org).heldMicros()).isZero();
    assertThatThrownBy(() -> stack.ledger().returnLease("lease-none-" + System.nanoTime(), org))
        .isInstanceOfSatisfying(
            NotFoundException.class, e -> assertThat(e.reason()).isEqualTo("lease_not_found"));
    var other = stack.accounts().createOrganization("Other", "o-" + System.nanoTime() + "@x.test");
    assertThatThrownBy(() -> stack.ledger().returnLease(lease, other.organization().id()))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void expiredLease_returnsItsHold_andTheSweepEndsIt() {
    hardLimit(10_000, 0);
    var lease = "lease-exp-" + System.nanoTime();
    assertThat(stack.ledger().leaseBudget(org, lease, "gw-0", 6_000).grantedMicros())
        .isEqualTo(6_000);
    assertThat(stack.ledger().leaseBudget(org, lease + "-b", "gw-1", 10_000).grantedMicros())
        .isEqualTo(4_000);

    clock.advance(Stack.LEASE_TTL.plus(Duration.ofSeconds(1)));

    assertThat(stack.ledger().budget(org).heldMicros()).isZero();
    assertThat(stack.ledger().leaseBudget(org, lease + "-c", "gw-0", 10_000).grantedMicros())
        .isEqualTo(10_000);
    assertThat(stack.ledger().endExpiredLeases()).isGreaterThanOrEqualTo(2);
    assertThat(stack.ledger().returnLease(lease, org)).isZero();
    assertThat(stack.ledger().budget(org).heldMicros()).isEqualTo(10_000);
  }

  @Test
  void concurrentBatches_withTheSameRecords_chargeEachRequestOnce() throws Exception {
    var records = batch("race-" + System.nanoTime() + "-", 200);
    var start = new CountDownLatch(1);
    var pool = Executors.newFixedThreadPool(4);
    var futures = new ArrayList<Future<List<RecordOutcome>>>();
    for (int t = 0; t < 4; t++) {
      futures.add(
          pool.submit(
              () -> {
                start.await();
                return stack.ledger().recordUsage(records).outcomes();
              }));
    }
    start.countDown();
    long charged = 0;
    long firstTimes = 0;
    for (var f : futures) {
      for (var outcome : f.get()) {
        charged += outcome.costMicros();
        firstTimes += outcome.replayed() ? 0 : 1;
      }
    }
    pool.shutdown();

    long expected = records.stream().mapToLong(BatchedLedgerContract::cost).sum();
    assertThat(firstTimes).isEqualTo(200);
    assertThat(charged).isEqualTo(expected);
    assertThat(stack.ledger().budget(org).spentMicros()).isEqualTo(expected);
  }

  @Test
  void concurrentLeases_from8Threads_neverGrantPastTheHardLimit() throws Exception {
    long hard = 50_000;
    hardLimit(hard, 0);
    stack.ledger().recordUsage(List.of(record("c-pre-" + System.nanoTime(), 2_000, 1_000, "")));
    long spent = stack.ledger().budget(org).spentMicros();
    var start = new CountDownLatch(1);
    var pool = Executors.newFixedThreadPool(8);
    var futures = new ArrayList<Future<Long>>();
    var prefix = "lease-cc-" + System.nanoTime() + "-";
    for (int t = 0; t < 8; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                long granted = 0;
                for (int i = 0; i < 25; i++) {
                  var id = prefix + thread + "-" + i;
                  granted +=
                      stack.ledger().leaseBudget(org, id, "gw-" + thread, 700).grantedMicros();
                  // A retry of the same lease id holds nothing more.
                  stack.ledger().leaseBudget(org, id, "gw-" + thread, 700);
                }
                return granted;
              }));
    }
    start.countDown();
    long granted = 0;
    for (var f : futures) {
      granted += f.get();
    }
    pool.shutdown();

    var budget = stack.ledger().budget(org);
    System.out.printf(
        "leases (%s): 8 threads × 25 asks of 700 µ$, granted %d µ$ + spent %d µ$ of a %d µ$ hard"
            + " limit; held %d µ$%n",
        getClass().getSimpleName(), granted, spent, hard, budget.heldMicros());
    assertThat(granted + spent).isLessThanOrEqualTo(hard);
    assertThat(granted + spent).isEqualTo(hard);
    assertThat(budget.heldMicros()).isEqualTo(granted);
  }
}
