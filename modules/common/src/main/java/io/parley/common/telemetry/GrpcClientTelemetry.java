package io.parley.common.telemetry;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Observes every call a gRPC channel makes: a client span, child of the span current on the calling
 * thread, whose context is sent as {@code traceparent}, and a latency histogram {@code
 * parley_grpc_client_duration_seconds} per method and status code (the gateway's limiter, ledger
 * and model calls among them).
 */
public final class GrpcClientTelemetry implements ClientInterceptor {

  static final String METER = "parley.grpc.client.duration";

  private final RpcMeters.Timers timers;
  private final Tracer tracer;
  private final TextMapPropagator propagator;

  /**
   * @param meters where the latency histogram goes
   * @param openTelemetry creates the spans and writes the trace context
   */
  public GrpcClientTelemetry(MeterRegistry meters, OpenTelemetry openTelemetry) {
    this.timers = new RpcMeters.Timers(meters, METER, "gRPC calls made, by method and status code");
    this.tracer = openTelemetry.getTracer("io.parley.grpc.client");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  /** The interceptor for this service's own {@link Telemetry}. */
  public static GrpcClientTelemetry ofService() {
    var telemetry = Telemetry.get();
    return new GrpcClientTelemetry(telemetry.meters(), telemetry.openTelemetry());
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    var parent = Context.current();
    var span =
        tracer
            .spanBuilder(method.getFullMethodName())
            .setParent(parent)
            .setSpanKind(SpanKind.CLIENT)
            .setAttribute("rpc.system", "grpc")
            .setAttribute("rpc.service", String.valueOf(method.getServiceName()))
            .setAttribute("rpc.method", String.valueOf(method.getBareMethodName()))
            .startSpan();
    var context = parent.with(span);
    var name = method.getFullMethodName();
    long start = System.nanoTime();
    var done = new AtomicBoolean();
    return new ForwardingClientCall.SimpleForwardingClientCall<Q, R>(
        next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        propagator.inject(context, headers, GrpcMetadata.INSTANCE);
        var observed =
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<R>(listener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                finish(status);
                super.onClose(status, trailers);
              }
            };
        try {
          super.start(observed, headers);
        } catch (RuntimeException e) {
          finish(Status.fromThrowable(e));
          throw e;
        }
      }

      private void finish(Status status) {
        if (done.compareAndSet(false, true)) {
          timers.record(name, status, System.nanoTime() - start);
          RpcMeters.end(span, status);
        }
      }
    };
  }
}
