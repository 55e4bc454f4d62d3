package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.Bucket;
import io.parley.gateway.domain.LimiterUnavailableException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared store against the real Redis on 127.0.0.1:6379 (fails when none answers). */
class RedisBucketStoreTest {

  private static final String URL = "redis://127.0.0.1:6379";

  private String prefix;
  private RedisBucketStore store;

  @BeforeEach
  void connect() {
    assertThat(redisAnswers()).as("Redis must answer on 127.0.0.1:6379").isTrue();
    prefix = "parley-test:" + UUID.randomUUID() + ":";
    store =
        new RedisBucketStore(
            new RedisEndpoint(URL, Optional.empty(), Duration.ofSeconds(2)), prefix);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void take_countsDownAndRefuses_withTheTimeToWait() {
    for (int i = 0; i < 3; i++) {
      assertThat(store.take("org", List.of(new Bucket("rpm", 3, 1))).getFirst().refused())
          .isFalse();
    }
    var refused = store.take("org", List.of(new Bucket("rpm", 3, 1))).getFirst();

    assertThat(refused.refused()).isTrue();
    assertThat(refused.remaining()).isZero();
    assertThat(refused.waitMillis()).isBetween(1L, 20_000L);
    assertThat(refused.resetMillis()).isBetween(59_000L, 60_000L);
  }

  @Test
  void take_isAllOrNothing() {
    store.take("org", List.of(new Bucket("tpm", 100, 95)));

    var states = store.take("org", List.of(new Bucket("rpm", 10, 1), new Bucket("tpm", 100, 10)));

    assertThat(states.get(1).refused()).isTrue();
    assertThat(store.take("org", List.of(new Bucket("rpm", 10, 0))).getFirst().remaining())
        .isEqualTo(10);
  }

  @Test
  void adjust_correctsAfterTheFact() {
    store.take("org", List.of(new Bucket("tpm", 1000, 800)));

    store.adjust("org", "tpm", 1000, -500);
    assertThat(store.take("org", List.of(new Bucket("tpm", 1000, 0))).getFirst().remaining())
        .isBetween(700L, 701L);
    store.adjust("org", "tpm", 1000, 2000);
    assertThat(store.take("org", List.of(new Bucket("tpm", 1000, 1))).getFirst().refused())
        .isTrue();
  }

  @Test
  void twoReplicas_shareTheBuckets_exactlyUnderConcurrency() throws Exception {
    var other =
        new RedisBucketStore(
            new RedisEndpoint(URL, Optional.empty(), Duration.ofSeconds(2)), prefix);
    try {
      var allowed = new AtomicInteger();
      var start = new CountDownLatch(1);
      try (var pool = Executors.newFixedThreadPool(8)) {
        for (int t = 0; t < 8; t++) {
          var replica = t % 2 == 0 ? store : other;
          pool.submit(
              () -> {
                start.await();
                for (int i = 0; i < 100; i++) {
                  if (!replica
                      .take("org", List.of(new Bucket("rpm", 200, 1)))
                      .getFirst()
                      .refused()) {
                    allowed.incrementAndGet();
                  }
                }
                return null;
              });
        }
        start.countDown();
      }
      // 800 attempts within well under a minute: 200 in the bucket plus what refilled meanwhile.
      assertThat(allowed.get()).isBetween(200, 215);
    } finally {
      other.close();
    }
  }

  @Test
  void keys_carryThePrefixAndTheOrganizationAsHashTag() {
    assertThat(store.key("org-1", "rpm")).isEqualTo(prefix + "{org-1}:rpm");
  }

  @Test
  void decisionCost_isPrinted() {
    var buckets =
        List.of(new Bucket("rpm", 1_000_000_000L, 1), new Bucket("tpm", 1_000_000_000L, 100));
    int n = 5_000;
    var samples = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      store.take("org", buckets);
      samples[i] = System.nanoTime() - t0;
    }
    var tail = Arrays.copyOfRange(samples, 1000, n);
    Arrays.sort(tail);
    System.out.printf(
        "redis limiter decision: p50 %.1f us, p99 %.1f us%n",
        tail[tail.length / 2] / 1000.0, tail[tail.length * 99 / 100] / 1000.0);
  }

  @Test
  void unreachableRedis_failsFast() {
    var down =
        new RedisBucketStore(
            new RedisEndpoint("redis://127.0.0.1:1", Optional.empty(), Duration.ofMillis(200)),
            prefix);
    try {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> down.take("org", List.of(new Bucket("rpm", 10, 1))))
          .isInstanceOf(LimiterUnavailableException.class);
      assertThatThrownBy(() -> down.take("org", List.of(new Bucket("rpm", 10, 1))))
          .isInstanceOf(LimiterUnavailableException.class);
      assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(2).toNanos());
    } finally {
      down.close();
    }
  }

  static boolean redisAnswers() {
    try (var socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", 6379), 200);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
