package io.parley.gateway.infrastructure;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parley.common.telemetry.ModelLabel;
import io.parley.common.telemetry.Telemetry;
import io.parley.common.v1.TokenUsage;
import io.parley.inference.v1.GenerateChunk;
import java.time.Duration;

/**
 * What the gateway measures of generations, per model ({@link ModelLabel}): tokens in and out
 * ({@code parley_gateway_tokens_total{kind="prompt"|"completion"}}), and of streams the time to the
 * first token and between tokens as the client sees them ({@code
 * parley_gateway_time_to_first_token_seconds}, {@code parley_gateway_inter_token_latency_seconds}).
 * A model is labelled only once it answered, so unknown model names never become labels.
 */
public final class GenerationMeters {

  static final String TOKENS = "parley.gateway.tokens";
  static final String TIME_TO_FIRST_TOKEN = "parley.gateway.time.to.first.token";
  static final String INTER_TOKEN = "parley.gateway.inter.token.latency";

  private static final Duration[] FIRST_TOKEN_BUCKETS = {
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

  private static final Duration[] INTER_TOKEN_BUCKETS = {
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

  private GenerationMeters() {}

  /** Counts the tokens of a finished generation. */
  public static void generated(String model, TokenUsage usage) {
    var meters = Telemetry.get().meters();
    var label = ModelLabel.of(model);
    tokens(meters, label, "prompt").increment(usage.getPromptTokens());
    tokens(meters, label, "completion").increment(usage.getCompletionTokens());
  }

  /** Starts observing one streamed call, started now. */
  public static Stream stream(String model) {
    return new Stream(model, System.nanoTime());
  }

  private static Counter tokens(MeterRegistry meters, String label, String kind) {
    return Counter.builder(TOKENS)
        .description("Tokens of generations, by model and kind (prompt, completion)")
        .tag("model", label)
        .tag("kind", kind)
        .register(meters);
  }

  /** The chunks of one streamed call, observed as they arrive (on the call's thread). */
  public static final class Stream {
    private final String model;
    private final long startNanos;
    private long lastTokenNanos;

    private Stream(String model, long startNanos) {
      this.model = model;
      this.startNanos = startNanos;
    }

    /** Observes one chunk: a chunk with text is a token (or a few), a usage chunk is the end. */
    public void chunk(GenerateChunk chunk) {
      if (chunk.hasUsage()) {
        generated(model, chunk.getUsage());
      }
      if (chunk.getText().isEmpty()) {
        return;
      }
      long now = System.nanoTime();
      var meters = Telemetry.get().meters();
      var label = ModelLabel.of(model);
      if (lastTokenNanos == 0) {
        Timer.builder(TIME_TO_FIRST_TOKEN)
            .description("Time from the start of a streamed generation to its first token")
            .tag("model", label)
            .serviceLevelObjectives(FIRST_TOKEN_BUCKETS)
            .register(meters)
            .record(Duration.ofNanos(now - startNanos));
      } else {
        Timer.builder(INTER_TOKEN)
            .description("Time between two tokens of a streamed generation")
            .tag("model", label)
            .serviceLevelObjectives(INTER_TOKEN_BUCKETS)
            .register(meters)
            .record(Duration.ofNanos(now - lastTokenNanos));
      }
      lastTokenNanos = now;
    }
  }
}
