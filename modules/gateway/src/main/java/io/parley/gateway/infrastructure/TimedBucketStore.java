package io.parley.gateway.infrastructure;

import io.micrometer.core.instrument.Timer;
import io.parley.common.telemetry.Telemetry;
import io.parley.gateway.domain.Bucket;
import io.parley.gateway.domain.BucketState;
import io.parley.gateway.domain.BucketStore;
import java.time.Duration;
import java.util.List;

/**
 * Times the rate limiter's store ({@code parley_gateway_limiter_duration_seconds{operation,
 * store}}): every admission waits on {@code take}, so its latency is the limiter's cost.
 */
final class TimedBucketStore implements BucketStore {

  static final String METER = "parley.gateway.limiter.duration";

  private static final Duration[] BUCKETS = {
    Duration.ofNanos(100_000),
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofSeconds(1)
  };

  private final BucketStore store;
  private final Timer take;
  private final Timer adjust;

  TimedBucketStore(BucketStore store, String kind) {
    this.store = store;
    this.take = timer("take", kind);
    this.adjust = timer("adjust", kind);
  }

  @Override
  public List<BucketState> take(String organization, List<Bucket> buckets) {
    long start = System.nanoTime();
    try {
      return store.take(organization, buckets);
    } finally {
      take.record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Override
  public void adjust(String organization, String key, long limit, long units) {
    long start = System.nanoTime();
    try {
      store.adjust(organization, key, limit, units);
    } finally {
      adjust.record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Override
  public void close() {
    store.close();
  }

  private static Timer timer(String operation, String kind) {
    return Timer.builder(METER)
        .description("Rate limiter store calls, by operation and store")
        .tag("operation", operation)
        .tag("store", kind)
        .serviceLevelObjectives(BUCKETS)
        .register(Telemetry.get().meters());
  }
}
