package io.parley.common.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TelemetryTest {

  @Test
  void withoutAnExporter_spansHaveIdsButRecordNothing() {
    try (var sdk = Telemetry.sdk(Telemetry::tracingProperties)) {
      var span = sdk.getTracer("test").spanBuilder("request").startSpan();
      assertThat(span.getSpanContext().isValid()).isTrue();
      assertThat(span.isRecording()).isFalse();
      assertThat(span.getSpanContext().isSampled()).isFalse();
      span.end();
    }
  }

  @Test
  void withAnExporter_spansAreSampledAndRecorded() {
    var properties = new java.util.HashMap<>(Telemetry.tracingProperties());
    properties.putAll(
        Map.of(
            "otel.traces.exporter", "otlp",
            "otel.exporter.otlp.traces.endpoint", "http://127.0.0.1:1/v1/traces",
            "otel.exporter.otlp.protocol", "http/protobuf"));
    try (var sdk = Telemetry.sdk(() -> properties)) {
      var span = sdk.getTracer("test").spanBuilder("request").startSpan();
      assertThat(span.getSpanContext().isValid()).isTrue();
      assertThat(span.isRecording()).isTrue();
      assertThat(span.getSpanContext().isSampled()).isTrue();
    }
  }
}
