package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.gateway.domain.Bucket;
import io.parley.gateway.domain.BucketState;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryBucketStoreTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final MemoryBucketStore store = new MemoryBucketStore(now::get);

  @Test
  void newBucket_isFull_andTakingLowersIt() {
    var state = take(new Bucket("rpm", 60, 1));

    assertThat(state.refused()).isFalse();
    assertThat(state.remaining()).isEqualTo(59);
    assertThat(state.resetMillis()).isEqualTo(1000);
  }

  @Test
  void bucket_refillsContinuously_atLimitPerMinute() {
    for (int i = 0; i < 60; i++) {
      assertThat(take(new Bucket("rpm", 60, 1)).refused()).isFalse();
    }
    var empty = take(new Bucket("rpm", 60, 1));
    assertThat(empty.refused()).isTrue();
    assertThat(empty.waitMillis()).isEqualTo(1000);
    assertThat(empty.used()).isEqualTo(60);

    now.addAndGet(500);
    assertThat(take(new Bucket("rpm", 60, 0)).remaining()).isZero();
    now.addAndGet(500);
    assertThat(take(new Bucket("rpm", 60, 1)).refused()).isFalse();

    now.addAndGet(30_000);
    var half = take(new Bucket("rpm", 60, 0));
    assertThat(half.remaining()).isEqualTo(30);
    assertThat(half.resetMillis()).isEqualTo(30_000);
  }

  @Test
  void take_isAllOrNothing_overTheBucketsOfARequest() {
    store.take("org", List.of(new Bucket("tpm", 100, 90)));

    var states = store.take("org", List.of(new Bucket("rpm", 10, 1), new Bucket("tpm", 100, 20)));

    assertThat(states.get(0).refused()).isFalse();
    assertThat(states.get(1).refused()).isTrue();
    assertThat(states.get(1).waitMillis()).isEqualTo(6_000);
    assertThat(take(new Bucket("rpm", 10, 0)).remaining()).isEqualTo(10);
  }

  @Test
  void requestLargerThanTheLimit_isAlwaysRefused() {
    var state = take(new Bucket("tpm", 100, 101));

    assertThat(state.refused()).isTrue();
    assertThat(state.remaining()).isEqualTo(100);
  }

  @Test
  void adjust_givesBackUpToTheLimit_andChargesBelowZero() {
    take(new Bucket("tpm", 1000, 600));

    store.adjust("org", "tpm", 1000, -200);
    assertThat(take(new Bucket("tpm", 1000, 0)).remaining()).isEqualTo(600);
    store.adjust("org", "tpm", 1000, -5000);
    assertThat(take(new Bucket("tpm", 1000, 0)).remaining()).isEqualTo(1000);

    store.adjust("org", "tpm", 1000, 1500);
    var owing = take(new Bucket("tpm", 1000, 1));
    assertThat(owing.refused()).isTrue();
    assertThat(owing.remaining()).isZero();
    assertThat(owing.waitMillis()).isEqualTo(30_060);
  }

  @Test
  void organizations_haveSeparateBuckets() {
    store.take("a", List.of(new Bucket("rpm", 1, 1)));

    assertThat(store.take("b", List.of(new Bucket("rpm", 1, 1))).getFirst().refused()).isFalse();
    assertThat(store.take("a", List.of(new Bucket("rpm", 1, 1))).getFirst().refused()).isTrue();
  }

  @Test
  void fullBuckets_areForgotten() {
    take(new Bucket("rpm", 60, 1));
    assertThat(store.size()).isEqualTo(1);

    now.addAndGet(61_000);
    take(new Bucket("other", 60, 0));

    assertThat(store.size()).isZero();
  }

  @Test
  void concurrentTakes_neverExceedTheLimit() throws Exception {
    var real = new MemoryBucketStore(() -> 0);
    int threads = 16;
    int perThread = 500;
    var allowed = new AtomicInteger();
    var start = new CountDownLatch(1);
    try (var pool = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        pool.submit(
            () -> {
              start.await();
              for (int i = 0; i < perThread; i++) {
                var states =
                    real.take(
                        "org", List.of(new Bucket("rpm", 1000, 1), new Bucket("tpm", 5000, 3)));
                if (!states.get(0).refused() && !states.get(1).refused()) {
                  allowed.incrementAndGet();
                }
              }
              return null;
            });
      }
      start.countDown();
    }

    assertThat(allowed.get()).isEqualTo(1000);
    var left = real.take("org", List.of(new Bucket("rpm", 1000, 0), new Bucket("tpm", 5000, 0)));
    assertThat(left.get(0).remaining()).isZero();
    assertThat(left.get(1).remaining()).isEqualTo(2000);
  }

  /** Decision cost of the in-memory store (printed, not asserted). */
  @Test
  void decisionCost_isPrinted() {
    var real = new MemoryBucketStore();
    var buckets =
        List.of(new Bucket("rpm", 1_000_000_000L, 1), new Bucket("tpm", 1_000_000_000L, 100));
    int n = 200_000;
    var samples = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      real.take("org-" + (i % 64), buckets);
      samples[i] = System.nanoTime() - t0;
    }
    var tail = Arrays.copyOfRange(samples, n / 2, n);
    Arrays.sort(tail);
    System.out.printf(
        "memory limiter decision: p50 %.2f us, p99 %.2f us%n",
        tail[tail.length / 2] / 1000.0, tail[tail.length * 99 / 100] / 1000.0);
    assertThat(tail).isNotEmpty();
  }

  private BucketState take(Bucket bucket) {
    return store.take("org", List.of(bucket)).getFirst();
  }
}
