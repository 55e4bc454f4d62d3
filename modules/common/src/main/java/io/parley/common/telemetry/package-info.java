/**
 * Observability shared by every service: one Prometheus meter registry per service (scraped at
 * {@code /metrics} on the service's HTTP port), OpenTelemetry traces with W3C trace context carried
 * over every gRPC hop, and the gRPC interceptors that record both. Span export (OTLP) is off unless
 * configured with the standard {@code OTEL_*} settings.
 */
package io.parley.common.telemetry;
