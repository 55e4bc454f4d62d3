package io.parley.common.telemetry;

import com.ibm.websphere.logging.hpel.LogRecordContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * Puts the current span's ids on every log record a service writes while a request is being served:
 * Liberty's JSON logs then carry {@code ext_traceId} and {@code ext_spanId} (the names Liberty's
 * own telemetry uses), so a log line leads to its trace and back.
 *
 * <p>The values are read when a record is made, from the OpenTelemetry context current on that
 * thread (the gateway's HTTP filter and every gRPC handler make their span current), so nothing is
 * set or cleared per request. Outside Liberty (unit tests, the trainer) the API is absent and this
 * does nothing.
 */
public final class LogCorrelation {

  static final String TRACE_ID = "traceId";
  static final String SPAN_ID = "spanId";

  private LogCorrelation() {}

  /**
   * Registers the two extensions (again, when an application restart left an earlier registration
   * of another class loader behind).
   *
   * @return whether Liberty's log record context is there to register with
   */
  public static synchronized boolean install() {
    try {
      Extensions.register();
      return true;
    } catch (LinkageError e) {
      return false;
    }
  }

  /** Loaded only inside {@link #install()}: it needs Liberty's API. */
  private static final class Extensions {

    // LogRecordContext keeps extensions through weak references: these fields keep them alive.
    private static final LogRecordContext.Extension TRACE =
        () -> {
          SpanContext context = Span.current().getSpanContext();
          return context.isValid() ? context.getTraceId() : null;
        };
    private static final LogRecordContext.Extension SPAN =
        () -> {
          SpanContext context = Span.current().getSpanContext();
          return context.isValid() ? context.getSpanId() : null;
        };

    private Extensions() {}

    static void register() {
      for (var name : new String[] {TRACE_ID, SPAN_ID}) {
        LogRecordContext.unregisterExtension(name);
      }
      LogRecordContext.registerExtension(TRACE_ID, TRACE);
      LogRecordContext.registerExtension(SPAN_ID, SPAN);
    }
  }
}
