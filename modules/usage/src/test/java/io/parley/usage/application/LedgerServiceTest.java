package io.parley.usage.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.usage.domain.InsufficientQuotaException;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Notification;
import io.parley.usage.domain.ReservationState;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.testsupport.MutableClock;
import io.parley.usage.testsupport.Stack;
import io.parley.usage.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reserve, Settle and Release on PostgreSQL: idempotency, limits, notifications. */
class LedgerServiceTest {

  private static String schema;
  private static Stack stack;
  private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-10T12:00:00Z"));
  private static final List<Notification> DELIVERED = new CopyOnWriteArrayList<>();

  private String org;
  private String key;

  @BeforeAll
  static void open() {
    schema = TestDatabases.newSchema();
    stack = Stack.over(TestDatabases.postgres(schema, 4), CLOCK, Optional.empty(), DELIVERED::add);
  }

  @AfterAll
  static void close() {
    stack.database().close();
    TestDatabases.dropSchema(schema);
  }

  @BeforeEach
  void organization() {
    var created =
        stack.accounts().createOrganization("Acme", "owner-" + System.nanoTime() + "@acme.test");
    org = created.organization().id();
    key = stack.accounts().createApiKey(org, created.ownerUserId(), "k", 0).info().id();
  }

  private static String rid() {
    return "req-" + System.nanoTime();
  }

  @Test
  void settle_retried_countsOnce() {
    var id = rid();
    stack.ledger().reserve(id, org, key, "m", new TokenCounts(100, 100));
    var first = stack.ledger().settle(id, new TokenCounts(100, 50), "", "", "");
    var retry = stack.ledger().settle(id, new TokenCounts(100, 50), "", "", "");
    var differentNumbers = stack.ledger().settle(id, new TokenCounts(999, 999), "", "", "");

    assertThat(first.costMicros()).isEqualTo(100 + 2 * 50);
    assertThat(first.replayed()).isFalse();
    assertThat(retry.replayed()).isTrue();
    assertThat(retry.costMicros()).isEqualTo(200);
    assertThat(differentNumbers.costMicros()).isEqualTo(200);
    var budget = stack.ledger().budget(org);
    assertThat(budget.spentMicros()).isEqualTo(200);
    assertThat(budget.reservedMicros()).isZero();
  }

  @Test
  void reserve_retried_holdsOnce() {
    var id = rid();
    var first = stack.ledger().reserve(id, org, key, "m", new TokenCounts(10, 10));
    var retry = stack.ledger().reserve(id, org, key, "m", new TokenCounts(10, 10));
    assertThat(first.reservedMicros()).isEqualTo(30);
    assertThat(retry.state()).isEqualTo(ReservationState.RESERVED);
    assertThat(stack.ledger().budget(org).reservedMicros()).isEqualTo(30);
  }

  @Test
  void release_thenSettle_billsTheTokens_andReleaseAfterSettleChangesNothing() {
    var id = rid();
    stack.ledger().reserve(id, org, key, "m", new TokenCounts(10, 10));
    assertThat(stack.ledger().release(id)).isEqualTo(ReservationState.RELEASED);
    assertThat(stack.ledger().release(id)).isEqualTo(ReservationState.RELEASED);
    assertThat(stack.ledger().budget(org).reservedMicros()).isZero();

    var settled = stack.ledger().settle(id, new TokenCounts(5, 5), "", "", "");
    assertThat(settled.costMicros()).isEqualTo(15);
    assertThat(stack.ledger().release(id)).isEqualTo(ReservationState.SETTLED);
    var budget = stack.ledger().budget(org);
    assertThat(budget.spentMicros()).isEqualTo(15);
    assertThat(budget.reservedMicros()).isZero();
    assertThat(stack.ledger().reserve(id, org, key, "m", new TokenCounts(1, 1)).state())
        .isEqualTo(ReservationState.SETTLED);
  }

  @Test
  void settleOrRelease_unknownRequest_notFound_unlessBillingGiven() {
    assertThatThrownBy(() -> stack.ledger().release(rid()))
        .isInstanceOf(NotFoundException.class)
        .hasFieldOrPropertyWithValue("reason", "reservation_not_found");
    assertThatThrownBy(() -> stack.ledger().settle(rid(), new TokenCounts(1, 1), "", "", ""))
        .isInstanceOf(NotFoundException.class);

    var id = rid();
    var outcome = stack.ledger().settle(id, new TokenCounts(10, 0), org, key, "m");
    assertThat(outcome.costMicros()).isEqualTo(10);
    assertThat(stack.ledger().settle(id, new TokenCounts(10, 0), org, key, "m").replayed())
        .isTrue();
    assertThat(stack.ledger().budget(org).spentMicros()).isEqualTo(10);
  }

  @Test
  void reserve_pastHardLimit_insufficientQuota() {
    stack.accounts().setLimits(org, new Limits(0, 0, 0, 100, List.of()));
    stack.ledger().reserve(rid(), org, key, "m", new TokenCounts(60, 0));
    assertThatThrownBy(() -> stack.ledger().reserve(rid(), org, key, "m", new TokenCounts(41, 0)))
        .isInstanceOf(InsufficientQuotaException.class)
        .hasFieldOrPropertyWithValue("reason", "insufficient_quota");
    var fits = stack.ledger().reserve(rid(), org, key, "m", new TokenCounts(40, 0));
    assertThat(fits.remainingMicros()).isZero();
  }

  @Test
  void softLimit_notifiesOncePerPeriod() {
    stack.accounts().setLimits(org, new Limits(0, 0, 50, 0, List.of()));
    DELIVERED.clear();
    var below = stack.ledger().reserve(rid(), org, key, "m", new TokenCounts(40, 0));
    var crossing = stack.ledger().reserve(rid(), org, key, "m", new TokenCounts(20, 0));
    var after = stack.ledger().reserve(rid(), org, key, "m", new TokenCounts(20, 0));

    assertThat(below.notification()).isEmpty();
    assertThat(crossing.notification()).isPresent();
    assertThat(after.notification()).isEmpty();
    assertThat(stack.ledger().notifications(org)).hasSize(1);
    assertThat(stack.ledger().notifications(org).getFirst().amountMicros()).isEqualTo(60);
    assertThat(DELIVERED).extracting(Notification::organizationId).containsExactly(org);
    assertThat(stack.ledger().budget(org).softLimitReachedAt()).isPositive();
  }

  @Test
  void staleReservations_areReleased() {
    var id = rid();
    stack.ledger().reserve(id, org, key, "m", new TokenCounts(10, 0));
    CLOCK.advance(Duration.ofHours(2));
    assertThat(stack.ledger().releaseStale(Duration.ofHours(1))).isGreaterThanOrEqualTo(1);
    assertThat(stack.ledger().release(id)).isEqualTo(ReservationState.RELEASED);
    assertThat(stack.ledger().budget(org).reservedMicros()).isZero();
  }
}
