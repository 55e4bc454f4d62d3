package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Two replicas' change feeds over the real Redis on 127.0.0.1:6379 (fails when none answers). */
class RedisChangeFeedTest {

  private static final String URL = "redis://127.0.0.1:6379";

  @Test
  void aChangePublishedByOneReplica_reachesTheOther_withinOneSecond() throws Exception {
    var prefix = "parley-test:" + UUID.randomUUID() + ":";
    try (var a =
            new RedisChangeFeed(
                new RedisEndpoint(URL, Optional.empty(), Duration.ofSeconds(2)), prefix);
        var b =
            new RedisChangeFeed(
                new RedisEndpoint(URL, Optional.empty(), Duration.ofSeconds(2)), prefix)) {
      List<String> received = new CopyOnWriteArrayList<>();
      b.subscribe(received::add);
      awaitLive(a);
      awaitLive(b);
      assertThat(received).as("a fresh subscription drops everything").contains("reset");

      long start = System.nanoTime();
      a.publish("access");
      while (!received.contains("access") && System.nanoTime() - start < 2_000_000_000L) {
        Thread.sleep(5);
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(received).contains("access");
      assertThat(ms).isLessThan(1_000);
    }
  }

  @Test
  void withoutRedis_theFeedIsNotLive_soCachedAnswersAreNotTrusted() throws Exception {
    try (var feed =
        new RedisChangeFeed(
            new RedisEndpoint("redis://127.0.0.1:1", Optional.empty(), Duration.ofMillis(200)),
            "x:")) {
      Thread.sleep(500);
      assertThat(feed.live()).isFalse();
      feed.publish("access");
    }
  }

  private static void awaitLive(RedisChangeFeed feed) throws InterruptedException {
    long until = System.nanoTime() + 5_000_000_000L;
    while (!feed.live() && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertThat(feed.live()).as("subscribed to Redis on 127.0.0.1:6379").isTrue();
  }
}
