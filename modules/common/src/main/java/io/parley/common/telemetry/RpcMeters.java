package io.parley.common.telemetry;

import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.time.Duration;

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

  /** Records one finished call: a latency sample labelled with its method and status code. */
  static void record(
      MeterRegistry meters, String name, String help, String method, Status status, long nanos) {
    Timer.builder(name)
        .description(help)
        .tag("method", method)
        .tag("code", status.getCode().name())
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(meters)
        .record(Duration.ofNanos(nanos));
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
