package io.parley.common.telemetry;

import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The latency buckets and the span outcome shared by the gRPC interceptors. */
final class RpcMeters {

  /** Bucket bounds of every latency histogram (a model call may take minutes). */
  static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(1),
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
    Duration.ofSeconds(60),
    Duration.ofSeconds(120),
    Duration.ofSeconds(300)
  };

  private RpcMeters() {}

  /**
   * The latency histograms of one interceptor, one per method and status code, looked up without
   * building a meter id on every call.
   */
  static final class Timers {
    private static final Status.Code[] CODES = Status.Code.values();

    private final MeterRegistry meters;
    private final String name;
    private final String help;
    private final ConcurrentHashMap<String, Timer[]> byMethod = new ConcurrentHashMap<>();

    Timers(MeterRegistry meters, String name, String help) {
      this.meters = meters;
      this.name = name;
      this.help = help;
    }

    /** Records one finished call. */
    void record(String method, Status status, long nanos) {
      var timers = byMethod.computeIfAbsent(method, m -> new Timer[CODES.length]);
      int code = status.getCode().ordinal();
      var timer = timers[code];
      if (timer == null) {
        // A race registers the same meter twice, which returns the same timer.
        timer =
            Timer.builder(name)
                .description(help)
                .tag("method", method)
                .tag("code", CODES[code].name())
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(meters);
        timers[code] = timer;
      }
      timer.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Ends a call's span with its gRPC status; server-side failures mark it as an error. */
  static void end(Span span, Status status) {
    span.setAttribute("rpc.grpc.status_code", (long) status.getCode().value());
    if (isServerError(status.getCode())) {
      span.setStatus(
          StatusCode.ERROR, status.getDescription() == null ? "" : status.getDescription());
    }
    span.end();
  }

  /**
   * Whether a status is the server's fault (it counts as an error, as in OpenTelemetry's rules).
   */
  static boolean isServerError(Status.Code code) {
    return switch (code) {
      case UNKNOWN,
          DEADLINE_EXCEEDED,
          UNIMPLEMENTED,
          INTERNAL,
          UNAVAILABLE,
          DATA_LOSS,
          RESOURCE_EXHAUSTED ->
          true;
      default -> false;
    };
  }
}
