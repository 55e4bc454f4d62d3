package io.parley.inference.infrastructure.llama;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parley.common.telemetry.ModelLabel;
import io.parley.common.telemetry.Telemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The meters of one model's decode loop, labelled with the model id: requests waiting ({@code
 * parley_inference_queue_depth}), slots in use and in all ({@code parley_inference_slots_busy},
 * {@code parley_inference_slots}), tokens per {@code llama_decode} and sequences sampled per step
 * ({@code parley_inference_batch_tokens}, {@code parley_inference_batch_sequences}), tokens
 * evaluated and generated ({@code parley_inference_prompt_tokens_total}, {@code
 * parley_inference_generated_tokens_total}), and the time from enqueue to a request's first token
 * ({@code parley_inference_time_to_first_token_seconds}). Removed when the model is unloaded.
 */
final class EngineMeters implements AutoCloseable {

  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};

  private static final Duration[] FIRST_TOKEN_BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60)
  };

  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final DistributionSummary batchTokens;
  private final DistributionSummary batchSequences;
  private final Timer firstToken;
  // Held here: the registry keeps only weak references to what function meters read.
  private final Supplier<LlamaEngine.Stats> stats;
  private volatile int queued;
  private volatile int busy;

  /**
   * @param model the model id
   * @param slots the sequences the context holds
   * @param stats the engine's counters
   */
  EngineMeters(String model, int slots, Supplier<LlamaEngine.Stats> stats) {
    this.registry = Telemetry.get().meters();
    this.stats = stats;
    var label = ModelLabel.of(model);
    add(
        Gauge.builder("parley.inference.queue.depth", this, m -> m.queued)
            .description("Requests waiting for free slots")
            .tag("model", label)
            .register(registry));
    add(
        Gauge.builder("parley.inference.slots.busy", this, m -> m.busy)
            .description("Sequence slots in use")
            .tag("model", label)
            .register(registry));
    add(
        Gauge.builder("parley.inference.slots", this, m -> slots)
            .description("Sequence slots of the model's context")
            .tag("model", label)
            .register(registry));
    add(
        FunctionCounter.builder(
                "parley.inference.generated.tokens", this, m -> m.stats.get().generatedTokens())
            .description("Completion tokens sampled")
            .tag("model", label)
            .register(registry));
    add(
        FunctionCounter.builder(
                "parley.inference.prompt.tokens", this, m -> m.stats.get().promptTokensEvaluated())
            .description("Prompt tokens evaluated")
            .tag("model", label)
            .register(registry));
    batchTokens =
        add(
            DistributionSummary.builder("parley.inference.batch.tokens")
                .description("Tokens submitted per llama_decode call")
                .tag("model", label)
                .serviceLevelObjectives(BATCH_BUCKETS)
                .register(registry));
    batchSequences =
        add(
            DistributionSummary.builder("parley.inference.batch.sequences")
                .description("Sequences that got their next token per decode step")
                .tag("model", label)
                .serviceLevelObjectives(BATCH_BUCKETS)
                .register(registry));
    firstToken =
        add(
            Timer.builder("parley.inference.time.to.first.token")
                .description("Time from a request's arrival to its first token")
                .tag("model", label)
                .serviceLevelObjectives(FIRST_TOKEN_BUCKETS)
                .register(registry));
  }

  /** The queue and the slots now. */
  void occupancy(int queued, int busySlots) {
    this.queued = queued;
    this.busy = busySlots;
  }

  /** The queue now (a request was added). */
  void queued(int queued) {
    this.queued = queued;
  }

  /** One decode step. */
  void step(int tokens, int sequences) {
    batchTokens.record(tokens);
    if (sequences > 0) {
      batchSequences.record(sequences);
    }
  }

  /** A request got its first token, {@code nanos} after it arrived. */
  void firstToken(long nanos) {
    firstToken.record(Duration.ofNanos(nanos));
  }

  @Override
  public void close() {
    meters.forEach(registry::remove);
  }

  private <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }
}
