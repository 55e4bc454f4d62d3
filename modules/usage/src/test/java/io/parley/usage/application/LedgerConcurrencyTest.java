package io.parley.usage.application;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.usage.domain.InsufficientQuotaException;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.testsupport.Stack;
import io.parley.usage.testsupport.TestDatabases;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas (two pools, two service stacks) against one PostgreSQL schema, 200 concurrent
 * reservations from 8 threads: the hard limit holds exactly.
 */
class LedgerConcurrencyTest {

  private static final long HARD_LIMIT = 10_000;
  // Each request reserves 100 in + 100 out = 100 + 200 = 300 micro-dollars.
  private static final TokenCounts ESTIMATE = new TokenCounts(100, 100);
  private static final long RESERVATION = 300;

  private String schema;
  private Stack replicaA;
  private Stack replicaB;

  @BeforeEach
  void open() {
    schema = TestDatabases.newSchema();
    replicaA =
        Stack.over(
            TestDatabases.postgres(schema, 4),
            Clock.systemUTC(),
            Optional.empty(),
            NotificationSink.NONE);
    replicaB =
        Stack.over(
            TestDatabases.postgres(schema, 4),
            Clock.systemUTC(),
            Optional.empty(),
            NotificationSink.NONE);
  }

  @AfterEach
  void close() {
    replicaA.database().close();
    replicaB.database().close();
    TestDatabases.dropSchema(schema);
  }

  @Test
  void concurrentReserves_onTwoReplicas_neverPassTheHardLimit() throws Exception {
    var owner = replicaA.accounts().createOrganization("Acme", "owner@acme.test");
    var org = owner.organization().id();
    var key = replicaA.accounts().createApiKey(org, owner.ownerUserId(), "k", 0).info().id();
    replicaA.accounts().setLimits(org, new Limits(0, 0, 0, HARD_LIMIT, List.of()));

    int requests = 200;
    var admitted = new AtomicInteger();
    var refused = new AtomicInteger();
    var settledCost = new AtomicLong();
    var start = new CountDownLatch(1);
    var pool = Executors.newFixedThreadPool(8);
    var futures = new ArrayList<Future<?>>();
    for (int i = 0; i < requests; i++) {
      var replica = i % 2 == 0 ? replicaA : replicaB;
      var id = "req-" + i;
      int n = i;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  replica.ledger().reserve(id, org, key, "m", ESTIMATE);
                } catch (InsufficientQuotaException e) {
                  refused.incrementAndGet();
                  return null;
                }
                admitted.incrementAndGet();
                // Settle on the other replica, sometimes twice (a retry), sometimes release.
                var other = replica == replicaA ? replicaB : replicaA;
                if (n % 10 == 0) {
                  other.ledger().release(id);
                } else {
                  var cost = other.ledger().settle(id, new TokenCounts(100, 100), "", "", "");
                  settledCost.addAndGet(cost.costMicros());
                  if (n % 3 == 0) {
                    replica.ledger().settle(id, new TokenCounts(100, 100), "", "", "");
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();

    var budget = replicaA.ledger().budget(org);
    System.out.printf(
        "concurrency: %d requests, %d admitted, %d refused, admitted reservations %d µ$,"
            + " spent %d µ$, reserved %d µ$, hard limit %d µ$%n",
        requests,
        admitted.get(),
        refused.get(),
        admitted.get() * RESERVATION,
        budget.spentMicros(),
        budget.reservedMicros(),
        HARD_LIMIT);
    assertThat(admitted.get() + refused.get()).isEqualTo(requests);
    assertThat(refused.get()).isPositive();
    assertThat(budget.reservedMicros()).isZero();
    assertThat(budget.spentMicros()).isEqualTo(settledCost.get());
    assertThat(budget.spentMicros()).isLessThanOrEqualTo(HARD_LIMIT);
    // Released reservations free room, so more than limit / reservation may be admitted over time,
    // but the spend never passes the limit by more than one request's reservation.
    assertThat(budget.spentMicros()).isLessThanOrEqualTo(HARD_LIMIT + RESERVATION);
    assertThat(budget.spentMicros()).isGreaterThan(HARD_LIMIT - 2 * RESERVATION);
  }

  @Test
  void concurrentReserves_withoutSettling_holdAtMostTheLimit() throws Exception {
    var owner = replicaA.accounts().createOrganization("Acme", "owner@acme.test");
    var org = owner.organization().id();
    replicaA.accounts().setLimits(org, new Limits(0, 0, 0, HARD_LIMIT, List.of()));
    var admitted = new AtomicInteger();
    var pool = Executors.newFixedThreadPool(8);
    var futures = new ArrayList<Future<?>>();
    for (int i = 0; i < 200; i++) {
      var replica = i % 2 == 0 ? replicaA : replicaB;
      var id = "hold-" + i;
      futures.add(
          pool.submit(
              () -> {
                try {
                  replica.ledger().reserve(id, org, "", "m", ESTIMATE);
                  admitted.incrementAndGet();
                } catch (InsufficientQuotaException e) {
                  // expected once the limit is held
                }
                return null;
              }));
    }
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();
    var budget = replicaB.ledger().budget(org);
    System.out.printf(
        "concurrency (hold): admitted %d × %d = %d µ$ reserved of a %d µ$ hard limit%n",
        admitted.get(), RESERVATION, budget.reservedMicros(), HARD_LIMIT);
    assertThat(admitted.get()).isEqualTo((int) (HARD_LIMIT / RESERVATION));
    assertThat(budget.reservedMicros()).isEqualTo(admitted.get() * RESERVATION);
  }
}
