package io.parley.embeddings.infrastructure.onnx;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parley.common.telemetry.ModelLabel;
import io.parley.common.telemetry.Telemetry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;

/**
 * The meters of one model's batcher, labelled with the model id: sequences waiting ({@code
 * parley_embeddings_queue_depth}), sequences per batch ({@code parley_embeddings_batch_size}) and
 * the time to encode a batch ({@code parley_embeddings_batch_duration_seconds}). Removed with the
 * batcher.
 */
final class BatcherMeters implements AutoCloseable {

  private static final double[] SIZE_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

  private static final Duration[] DURATION_BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(5)
  };

  private final MeterRegistry registry;
  private final DistributionSummary size;
  private final Timer duration;
  private final List<Meter> meters;

  BatcherMeters(String model, BlockingQueue<?> queue) {
    this.registry = Telemetry.get().meters();
    var label = ModelLabel.of(model);
    var depth =
        Gauge.builder("parley.embeddings.queue.depth", queue, BlockingQueue::size)
            .description("Sequences waiting to be encoded")
            .tag("model", label)
            .register(registry);
    size =
        DistributionSummary.builder("parley.embeddings.batch.size")
            .description("Sequences per encoded batch")
            .tag("model", label)
            .serviceLevelObjectives(SIZE_BUCKETS)
            .register(registry);
    duration =
        Timer.builder("parley.embeddings.batch.duration")
            .description("Time to encode one batch")
            .tag("model", label)
            .serviceLevelObjectives(DURATION_BUCKETS)
            .register(registry);
    meters = List.of(depth, size, duration);
  }

  /** One batch of {@code sequences} was encoded in {@code nanos}. */
  void batch(int sequences, long nanos) {
    size.record(sequences);
    duration.record(Duration.ofNanos(nanos));
  }

  @Override
  public void close() {
    meters.forEach(registry::remove);
  }
}
