package io.parley.common.telemetry;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Observes every call a gRPC server takes: a server span whose parent is the caller's {@code
 * traceparent} (so one request is one trace across services), current while the handler runs, and a
 * latency histogram {@code parley_grpc_server_duration_seconds} per method and status code (its
 * {@code _count} gives the call rate and, by code, the errors). It runs before the caller check, so
 * refused calls are counted too.
 */
public final class GrpcServerTelemetry implements ServerInterceptor {

  static final String METER = "parley.grpc.server.duration";

  private final RpcMeters.Timers timers;
  private final Tracer tracer;
  private final TextMapPropagator propagator;

  /**
   * @param meters where the latency histogram goes
   * @param openTelemetry creates the spans and reads the trace context
   */
  public GrpcServerTelemetry(MeterRegistry meters, OpenTelemetry openTelemetry) {
    this.timers =
        new RpcMeters.Timers(meters, METER, "gRPC calls served, by method and status code");
    this.tracer = openTelemetry.getTracer("io.parley.grpc.server");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  /** The interceptor for this service's own {@link Telemetry}. */
  public static GrpcServerTelemetry ofService() {
    var telemetry = Telemetry.get();
    return new GrpcServerTelemetry(telemetry.meters(), telemetry.openTelemetry());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    var method = call.getMethodDescriptor();
    var parent = propagator.extract(Context.root(), headers, GrpcMetadata.INSTANCE);
    var span =
        tracer
            .spanBuilder(method.getFullMethodName())
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("rpc.system", "grpc")
            .setAttribute("rpc.service", String.valueOf(method.getServiceName()))
            .setAttribute("rpc.method", String.valueOf(method.getBareMethodName()))
            .startSpan();
    var context = parent.with(span);
    var outcome = new Outcome(method.getFullMethodName(), span, System.nanoTime());
    var observed =
        new ForwardingServerCall.SimpleForwardingServerCall<Q, R>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            outcome.finish(status);
            super.close(status, trailers);
          }
        };
    ServerCall.Listener<Q> listener;
    try (var ignored = context.makeCurrent()) {
      listener = next.startCall(observed, headers);
    } catch (RuntimeException e) {
      outcome.finish(Status.fromThrowable(e));
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(listener) {
      @Override
      public void onMessage(Q message) {
        try (var ignored = context.makeCurrent()) {
          super.onMessage(message);
        }
      }

      @Override
      public void onHalfClose() {
        try (var ignored = context.makeCurrent()) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        outcome.finish(Status.CANCELLED);
        try (var ignored = context.makeCurrent()) {
          super.onCancel();
        }
      }

      @Override
      public void onComplete() {
        try (var ignored = context.makeCurrent()) {
          super.onComplete();
        }
      }

      @Override
      public void onReady() {
        try (var ignored = context.makeCurrent()) {
          super.onReady();
        }
      }
    };
  }

  /** Records a call once: the first of close and cancel wins. */
  private final class Outcome {
    private final String method;
    private final Span span;
    private final long startNanos;
    private final AtomicBoolean done = new AtomicBoolean();

    Outcome(String method, Span span, long startNanos) {
      this.method = method;
      this.span = span;
      this.startNanos = startNanos;
    }

    void finish(Status status) {
      if (done.compareAndSet(false, true)) {
        timers.record(method, status, System.nanoTime() - startNanos);
        RpcMeters.end(span, status);
      }
    }
  }
}
