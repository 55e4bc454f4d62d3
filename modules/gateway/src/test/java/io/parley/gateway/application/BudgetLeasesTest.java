package io.parley.gateway.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.QuotaExceededException;
import io.parley.gateway.domain.ServiceUnavailableException;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Budgets are spent in memory from leases: never past what the usage service granted, one lease
 * call per organization at a time, none for organizations without a hard limit, and outage credit
 * only while the usage service is unavailable, up to its bound.
 */
class BudgetLeasesTest {

  /** 10 prompt tokens (10 µ$) + 100 completion tokens (200 µ$): 210 µ$ in the test prices. */
  private static final TokenUsage ESTIMATE = usage(10, 100);

  private static final long COST = 210;

  private ScriptedUsage usage;
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicLong wall = new AtomicLong(1_800_000_000_000L);
  private final Map<String, Long> unrecorded = new ConcurrentHashMap<>();
  private final UsageOutbox outbox =
      new UsageOutbox() {
        @Override
        public void admitted(AdmittedUsage admitted) {}

        @Override
        public void finished(String requestId, TokenUsage actual) {}

        @Override
        public long unrecorded(String leaseId) {
          return unrecorded.getOrDefault(leaseId, 0L);
        }
      };

  @BeforeEach
  void start() throws Exception {
    usage = new ScriptedUsage();
  }

  @AfterEach
  void stop() {
    usage.close();
  }

  @Test
  void neverAdmitsPastTheGrants_andRefusesWithoutACallOnceShort() {
    usage.hardLimits.put("org-a", 10 * COST);
    var leases = leases(settings(3 * COST, 1, true, 1_000_000));

    int admitted = 0;
    long charged = 0;
    for (int i = 0; i < 20; i++) {
      try {
        charged += leases.charge("org-a", "stories", ESTIMATE).micros();
        admitted++;
      } catch (QuotaExceededException e) {
        // refused
      }
    }

    assertThat(admitted).isEqualTo(10);
    assertThat(charged).isEqualTo(10 * COST);
    // 3 + 3 + 3 + the last 1 (short): then shortfalls are refused without asking again.
    assertThat(usage.leaseCalls).hasSize(4);
    assertThat(usage.leaseCalls.getFirst().getRequestedMicros()).isEqualTo(3 * COST);
    assertThat(usage.leaseCalls.getFirst().getHolder()).isEqualTo("test-replica");
  }

  @Test
  void unusedEstimate_goesBackToTheLease() {
    usage.hardLimits.put("org-a", 3 * COST);
    var leases = leases(settings(3 * COST, 1, true, 1_000_000));

    for (int i = 0; i < 50; i++) {
      var charge = leases.charge("org-a", "stories", ESTIMATE);
      leases.settle(charge, usage(1, 0));
    }

    // Each request used 1 µ$ of its 210: 50 µ$ in all, well inside the one lease.
    assertThat(usage.leaseCalls).hasSize(1);
  }

  @Test
  void eightThreads_shareOneLeaseCall() throws Exception {
    usage.hardLimits.put("org-a", 100_000_000L);
    usage.leaseDelayMillis = 300;
    var leases = leases(settings(100_000, 10, true, 1_000_000));
    leases.charge("org-x", "stories", usage(0, 0)); // reads the prices first

    var barrier = new CyclicBarrier(8);
    var pool = Executors.newFixedThreadPool(8);
    try {
      var results = new ArrayList<Future<BudgetLeases.Charge>>();
      for (int i = 0; i < 8; i++) {
        results.add(
            pool.submit(
                () -> {
                  barrier.await();
                  return leases.charge("org-a", "stories", ESTIMATE);
                }));
      }
      for (var result : results) {
        assertThat(result.get(10, TimeUnit.SECONDS).micros()).isEqualTo(COST);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(usage.maxLeaseCallsInFlight.get()).isEqualTo(1);
    assertThat(usage.leaseCalls.stream().filter(c -> c.getOrganization().equals("org-a")))
        .hasSize(1);
  }

  @Test
  void unlimitedOrganization_isAdmittedWithoutCalls_untilTheRecheck() {
    var leases = leases(settings(100_000, 10, true, 1_000_000));

    for (int i = 0; i < 100; i++) {
      assertThat(leases.charge("org-free", "stories", ESTIMATE).leaseId()).isEmpty();
    }
    assertThat(usage.leaseCalls).hasSize(1);

    nanos.addAndGet(TimeUnit.SECONDS.toNanos(61));
    leases.charge("org-free", "stories", ESTIMATE);

    assertThat(usage.leaseCalls).hasSize(2);
  }

  @Test
  void usageDown_admitsOnOutageCredit_upToItsBound_thenRefuses() {
    usage.hardLimits.put("org-a", 100_000_000L);
    var leases = leases(settings(100_000, 10, true, 4 * COST + 100));
    leases.charge("org-x", "stories", usage(0, 0)); // reads the prices first
    usage.down.set(true);

    var charges = new ArrayList<BudgetLeases.Charge>();
    for (int i = 0; i < 4; i++) {
      charges.add(leases.charge("org-a", "stories", ESTIMATE));
    }
    assertThat(charges).allSatisfy(c -> assertThat(c.credit()).isTrue());
    assertThat(charges).allSatisfy(c -> assertThat(c.leaseId()).isEmpty());
    assertThatThrownBy(() -> leases.charge("org-a", "stories", ESTIMATE))
        .isInstanceOf(ServiceUnavailableException.class);
    // One failed call; then the credit is used without asking again.
    assertThat(usage.leaseCalls.stream().filter(c -> c.getOrganization().equals("org-a")))
        .hasSize(1);

    // A request that used nothing gives its credit back.
    leases.settle(charges.getFirst(), usage(0, 0));
    assertThat(leases.charge("org-a", "stories", ESTIMATE).credit()).isTrue();

    usage.down.set(false);
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(2));
    var back = leases.charge("org-a", "stories", ESTIMATE);
    assertThat(back.credit()).isFalse();
    assertThat(back.leaseId()).isNotEmpty();
  }

  @Test
  void outageCredit_isNotUsedWhenTheBudgetIsSpent_norWhenOff() {
    var leases = leases(settings(100_000, 10, true, 1_000_000));

    assertThatThrownBy(() -> leases.charge("org-broke", "stories", ESTIMATE))
        .isInstanceOf(QuotaExceededException.class);

    var strict = leases(settings(100_000, 10, false, 1_000_000));
    strict.charge("org-x", "stories", usage(0, 0));
    usage.hardLimits.put("org-a", 100_000_000L);
    usage.down.set(true);
    assertThatThrownBy(() -> strict.charge("org-a", "stories", ESTIMATE))
        .isInstanceOf(ServiceUnavailableException.class);
  }

  @Test
  void leaseCloseToItsExpiry_isRenewed_andReturnedOnceItsUsageIsRecorded() {
    usage.hardLimits.put("org-a", 100_000_000L);
    usage.leaseExpiresAtMs = wall.get() + 90_000;
    var leases = leases(settings(100_000, 10, true, 1_000_000));
    var charge = leases.charge("org-a", "stories", ESTIMATE);
    String first = charge.leaseId();
    leases.settle(charge, usage(10, 10));
    unrecorded.put(first, 1L);

    wall.addAndGet(61_000);
    leases.tick();

    assertThat(usage.leaseCalls).hasSize(2);
    assertThat(usage.returned).isEmpty();
    var next = leases.charge("org-a", "stories", ESTIMATE);
    assertThat(next.leaseId()).isNotEqualTo(first).isEqualTo(usage.leaseCalls.get(1).getLeaseId());

    unrecorded.remove(first);
    leases.tick();
    assertThat(usage.returned).containsExactly(first);

    leases.stop();
    assertThat(usage.returned).hasSize(1); // the second still has a request in flight
    leases.settle(next, usage(1, 1));
    leases.stop();
    assertThat(usage.returned).containsExactly(first, next.leaseId());
  }

  @Test
  void leaseCloseToItsExpiry_admitsNothingMore_evenBeforeTheHousekeeping() {
    usage.hardLimits.put("org-a", 100_000_000L);
    usage.leaseExpiresAtMs = wall.get() + 90_000;
    var leases = leases(settings(100_000, 10, true, 1_000_000));
    String first = leases.charge("org-a", "stories", ESTIMATE).leaseId();

    wall.addAndGet(61_000);

    assertThat(leases.charge("org-a", "stories", ESTIMATE).leaseId()).isNotEqualTo(first);
    assertThat(usage.leaseCalls).hasSize(2);
  }

  private BudgetLeases leases(BudgetLeases.Settings settings) {
    return new BudgetLeases(usage.client(), outbox, settings, nanos::get, wall::get, null);
  }

  private static BudgetLeases.Settings settings(
      long chunk, long multiple, boolean credit, long creditMicros) {
    return new BudgetLeases.Settings(
        chunk, multiple, 60_000, 1_000, 30_000, 60_000, credit, creditMicros, 1, "test-replica");
  }

  private static TokenUsage usage(int prompt, int completion) {
    return TokenUsage.newBuilder()
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens(prompt + completion)
        .build();
  }
}
