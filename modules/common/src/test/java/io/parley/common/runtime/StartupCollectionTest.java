package io.parley.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class StartupCollectionTest {

  /** A process whose CPU time grows by the given nanoseconds in each window, then stays. */
  private static final class FakeProcess implements LongSupplier, StartupCollection.Sleeper {
    private final long[] busyPerWindow;
    private final List<Duration> sleeps = new ArrayList<>();
    private long cpu;

    FakeProcess(long... busyPerWindow) {
      this.busyPerWindow = busyPerWindow;
    }

    @Override
    public long getAsLong() {
      return cpu;
    }

    @Override
    public void sleep(Duration duration) {
      if (!sleeps.isEmpty()) {
        int window = sleeps.size() - 1;
        cpu += window < busyPerWindow.length ? busyPerWindow[window] : 0;
      }
      sleeps.add(duration);
    }

    Duration waited() {
      return sleeps.stream().reduce(Duration.ZERO, Duration::plus);
    }
  }

  private static final long BUSY = StartupCollection.WINDOW.toNanos(); // one whole CPU
  private static final long IDLE = StartupCollection.WINDOW.toNanos() / 100; // 1 % of one CPU

  @Test
  void quietAtOnce_collectsAfterTheSettlingTimeAndOneWindow() throws InterruptedException {
    var process = new FakeProcess(IDLE);
    assertThat(StartupCollection.awaitQuiet(process, process)).isTrue();
    assertThat(process.waited()).isEqualTo(StartupCollection.SETTLE.plus(StartupCollection.WINDOW));
  }

  @Test
  void busyWhileLoadingModels_waitsForTheFirstQuietWindow() throws InterruptedException {
    var process = new FakeProcess(BUSY, BUSY, BUSY / 2, IDLE);
    assertThat(StartupCollection.awaitQuiet(process, process)).isTrue();
    assertThat(process.waited())
        .isEqualTo(StartupCollection.SETTLE.plus(StartupCollection.WINDOW.multipliedBy(4)));
  }

  @Test
  void neverQuiet_givesUpAtTheLimit() throws InterruptedException {
    long[] busy = new long[1000];
    java.util.Arrays.fill(busy, BUSY);
    var process = new FakeProcess(busy);
    assertThat(StartupCollection.awaitQuiet(process, process)).isFalse();
    assertThat(process.waited()).isEqualTo(StartupCollection.LIMIT);
  }

  @Test
  void cpuTimeUnknown_collectsOnceSettled() throws InterruptedException {
    var sleeps = new ArrayList<Duration>();
    assertThat(StartupCollection.awaitQuiet(() -> -1L, sleeps::add)).isTrue();
    assertThat(sleeps).containsExactly(StartupCollection.SETTLE);
  }
}
