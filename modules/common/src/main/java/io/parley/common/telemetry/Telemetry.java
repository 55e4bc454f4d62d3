package io.parley.common.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The meters and the tracer of one service (one per application: each service is its own WAR).
 *
 * <p>Meters go to a Prometheus registry, read by {@link MetricsServlet} at {@code /metrics}. Labels
 * are bounded: method or route templates, status codes or classes, model ids ({@link ModelLabel}) —
 * never keys, organizations or raw paths.
 *
 * <p>Traces use the OpenTelemetry SDK, configured the standard way ({@code OTEL_*} environment
 * variables, {@code otel.*} system properties or MP Config keys, see {@link #tracingProperties}):
 * spans are created and W3C {@code traceparent} is propagated always, but exported only when {@code
 * otel.traces.exporter} names an exporter ({@code otlp}); it is {@code none} by default, so nothing
 * leaves the process unless an operator asks.
 */
public final class Telemetry {

  private static final System.Logger LOG = System.getLogger(Telemetry.class.getName());

  private static final class Holder {
    static final Telemetry INSTANCE = create();
  }

  private final PrometheusMeterRegistry registry;
  private final OpenTelemetry openTelemetry;
  private final Optional<OpenTelemetrySdk> sdk;

  private Telemetry(
      PrometheusMeterRegistry registry,
      OpenTelemetry openTelemetry,
      Optional<OpenTelemetrySdk> sdk) {
    this.registry = registry;
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
  }

  /** This service's telemetry, created on first use from its configuration. */
  public static Telemetry get() {
    return Holder.INSTANCE;
  }

  /** The registry every meter of this service is registered in. */
  public MeterRegistry meters() {
    return registry;
  }

  /** The OpenTelemetry instance that creates and propagates this service's spans. */
  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /** The meters in the Prometheus text format (version 0.0.4). */
  public String scrape() {
    return registry.scrape();
  }

  /** Flushes and stops span export (the application is stopping). */
  public void shutdown() {
    sdk.ifPresent(OpenTelemetrySdk::close);
  }

  private static Telemetry create() {
    LogCorrelation.install();
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    try {
      var sdk = sdk(Telemetry::tracingProperties);
      return new Telemetry(registry, sdk, Optional.of(sdk));
    } catch (RuntimeException e) {
      // A bad exporter setting must not take the service down: it runs without traces.
      LOG.log(System.Logger.Level.WARNING, "Tracing is off: its configuration is invalid", e);
      return new Telemetry(registry, OpenTelemetry.noop(), Optional.empty());
    }
  }

  /**
   * The SDK from its settings. Without an exporter, spans still get ids (a request's trace id is in
   * its {@code traceparent} answer, its gRPC calls and its log lines) but record nothing: the SDK
   * would otherwise hand out a no-op tracer, whose spans have no ids at all.
   */
  static OpenTelemetrySdk sdk(java.util.function.Supplier<Map<String, String>> properties) {
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(properties)
        .addTracerProviderCustomizer(
            (builder, config) -> exported(config) ? builder : builder.addSpanProcessor(IDS_ONLY))
        .addSamplerCustomizer((sampler, config) -> exported(config) ? sampler : Sampler.alwaysOff())
        .setServiceClassLoader(Telemetry.class.getClassLoader())
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
  }

  private static boolean exported(ConfigProperties config) {
    return !config.getList("otel.traces.exporter", List.of("otlp")).equals(List.of("none"));
  }

  /** A span processor that does nothing; its presence keeps the SDK's tracer (see {@link #sdk}). */
  private static final SpanProcessor IDS_ONLY =
      new SpanProcessor() {
        @Override
        public void onStart(Context parent, ReadWriteSpan span) {}

        @Override
        public boolean isStartRequired() {
          return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {}

        @Override
        public boolean isEndRequired() {
          return false;
        }
      };

  /**
   * The defaults under the standard settings (environment variables and system properties win): no
   * exporter of any signal, W3C trace context, then every {@code otel.*} key of MP Config (a
   * service's {@code microprofile-config.properties} names it with {@code otel.service.name}).
   */
  static Map<String, String> tracingProperties() {
    var properties = new HashMap<String, String>();
    properties.put("otel.traces.exporter", "none");
    properties.put("otel.metrics.exporter", "none");
    properties.put("otel.logs.exporter", "none");
    properties.put("otel.propagators", "tracecontext");
    properties.put("otel.service.name", "parley");
    try {
      var config = ConfigProvider.getConfig(Telemetry.class.getClassLoader());
      for (var name : config.getPropertyNames()) {
        if (name.startsWith("otel.")) {
          config.getOptionalValue(name, String.class).ifPresent(v -> properties.put(name, v));
        }
      }
    } catch (RuntimeException | LinkageError e) {
      // No MP Config here (a unit test): the defaults and the standard settings apply.
    }
    return properties;
  }
}
