package io.parley.gateway.application;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DrainTest {

  @Test
  void drain_waitsForTheRequestsInFlight_andTurnsReadinessDown() throws Exception {
    var drain = new Drain();
    drain.enter();
    drain.enter();
    assertThat(drain.draining()).isFalse();

    var drained =
        CompletableFuture.supplyAsync(() -> call(drain, Duration.ZERO, Duration.ofSeconds(30)));
    Thread.sleep(200);
    assertThat(drained).isNotDone();
    assertThat(drain.draining()).isTrue();

    drain.exit();
    Thread.sleep(100);
    assertThat(drained).as("one request is still in flight").isNotDone();
    drain.exit();
    assertThat(drained.get(5, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void drain_givesUpAfterItsBound_sayingWhatIsLeft() throws Exception {
    var drain = new Drain();
    drain.enter();
    long start = System.nanoTime();
    assertThat(drain.drain(Duration.ZERO, Duration.ofMillis(300))).isEqualTo(1);
    assertThat(System.nanoTime() - start)
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
  }

  @Test
  void drain_withNothingInFlight_returnsAtOnce() throws Exception {
    var drain = new Drain();
    drain.enter();
    drain.exit();
    long start = System.nanoTime();
    assertThat(drain.drain(Duration.ZERO, Duration.ofSeconds(30))).isZero();
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void drain_waitsItsPauseFirst_evenWithNothingInFlight() throws Exception {
    var drain = new Drain();
    long start = System.nanoTime();
    assertThat(drain.drain(Duration.ofMillis(400), Duration.ofSeconds(30))).isZero();
    assertThat(System.nanoTime() - start)
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(400));
    assertThat(drain.draining()).isTrue();
  }

  private static int call(Drain drain, Duration min, Duration max) {
    try {
      return drain.drain(min, max);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
