package io.parley.gateway.api.rest;

import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.parley.common.telemetry.Telemetry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Observes every API request, streamed answers included (the whole stream is inside the chain): a
 * server span that continues the client's W3C {@code traceparent} when it sends one, current while
 * the request runs so that every gRPC call it makes carries it on, and answered as a {@code
 * traceparent} response header; and {@code parley_http_server_duration_seconds} per route template
 * (set by {@link RouteTemplateFilter}; {@code unmatched} for requests refused before routing),
 * method and status class. Probes and scrapes ({@code /health}, {@code /metrics}) are not observed.
 * An answer of 5xx is logged at WARNING with what failed, while the span is current, so the line
 * carries the trace id.
 */
@WebFilter(urlPatterns = "/*", asyncSupported = true)
public class HttpTelemetryFilter extends HttpFilter {

  private static final long serialVersionUID = 1L;

  private static final Logger LOG = Logger.getLogger(HttpTelemetryFilter.class.getName());

  /** The request attribute that holds the matched route template. */
  static final String ROUTE = HttpTelemetryFilter.class.getName() + ".route";

  /** The request attribute that holds the failure the error mapper answered, if any. */
  static final String FAILURE = HttpTelemetryFilter.class.getName() + ".failure";

  static final String METER = "parley.http.server.duration";

  private final transient ConcurrentHashMap<TimerKey, Timer> timers = new ConcurrentHashMap<>();

  private static final Duration[] BUCKETS = {
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

  private static final TextMapGetter<HttpServletRequest> HEADERS =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpServletRequest carrier) {
          return Collections.list(carrier.getHeaderNames());
        }

        @Override
        public String get(HttpServletRequest carrier, String key) {
          return carrier == null ? null : carrier.getHeader(key);
        }
      };

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    var path = request.getRequestURI().substring(request.getContextPath().length());
    if (path.equals("/metrics") || path.equals("/health") || path.startsWith("/health/")) {
      chain.doFilter(request, response);
      return;
    }
    var telemetry = Telemetry.get();
    var otel = telemetry.openTelemetry();
    var method = knownMethod(request.getMethod());
    var parent =
        otel.getPropagators().getTextMapPropagator().extract(Context.root(), request, HEADERS);
    var span =
        otel.getTracer("io.parley.gateway.http")
            .spanBuilder(method)
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", method)
            .startSpan();
    var context = span.getSpanContext();
    if (context.isValid()) {
      response.setHeader(
          "traceparent",
          "00-"
              + context.getTraceId()
              + "-"
              + context.getSpanId()
              + "-"
              + context.getTraceFlags().asHex());
    }
    long start = System.nanoTime();
    int status = 500;
    try (var ignored = parent.with(span).makeCurrent()) {
      chain.doFilter(request, response);
      status = response.getStatus();
      if (status >= 500) {
        // Logged while the span is current, so the line carries its trace id (LogCorrelation).
        LOG.warning(method + " " + route(request) + " answered " + status + failure(request));
      }
    } catch (IOException | ServletException | RuntimeException e) {
      span.recordException(e);
      throw e;
    } finally {
      var route = route(request);
      span.updateName(method + " " + route);
      span.setAttribute("http.route", route);
      span.setAttribute("http.response.status_code", (long) status);
      if (status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
      timer(telemetry, route, method, status / 100)
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  /** What failed, for the log line of a 5xx: the exception and its cause (a gRPC status). */
  private static String failure(HttpServletRequest request) {
    if (!(request.getAttribute(FAILURE) instanceof Throwable failure)) {
      return "";
    }
    var cause = failure.getCause();
    return ": " + failure + (cause == null || cause == failure ? "" : " (cause: " + cause + ")");
  }

  private static String route(HttpServletRequest request) {
    return request.getAttribute(ROUTE) instanceof String r ? r : "unmatched";
  }

  /**
   * The timer of a route, method and status class: registered once, then found without building a
   * meter id per request (routes are templates, so the set is small and bounded).
   */
  private Timer timer(Telemetry telemetry, String route, String method, int statusClass) {
    var registry = telemetry.meters();
    var key = new TimerKey(registry, route, method, statusClass);
    var timer = timers.get(key);
    if (timer == null) {
      timer =
          timers.computeIfAbsent(
              key,
              k ->
                  Timer.builder(METER)
                      .description("API requests, by route template, method and status class")
                      .tag("route", route)
                      .tag("method", method)
                      .tag("status", statusClass + "xx")
                      .serviceLevelObjectives(BUCKETS)
                      .register(registry));
    }
    return timer;
  }

  private record TimerKey(
      io.micrometer.core.instrument.MeterRegistry registry,
      String route,
      String method,
      int statusClass) {}

  /** The method as a label: one of the HTTP methods, anything else as {@code OTHER}. */
  private static String knownMethod(String method) {
    var upper = method == null ? "" : method.toUpperCase(Locale.ROOT);
    return switch (upper) {
      case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" -> upper;
      default -> "OTHER";
    };
  }
}
