package io.parley.common.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.ibm.websphere.logging.hpel.LogRecordContext;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogCorrelationTest {

  static Map<String, String> extensions() {
    var map = new HashMap<String, String>();
    LogRecordContext.getExtensions(map);
    return map;
  }

  @Test
  void aRecordMadeWhileASpanIsCurrent_carriesItsIds_andNoneOtherwise() {
    assertThat(LogCorrelation.install()).isTrue();
    assertThat(LogCorrelation.install()).as("installing twice replaces, never fails").isTrue();
    try (var tracers =
        SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
            .build()) {
      var span = tracers.get("test").spanBuilder("request").startSpan();
      assertThat(span.getSpanContext().isValid()).isTrue();
      assertThat(extensions()).doesNotContainKeys("traceId", "spanId");
      try (var ignored = span.makeCurrent()) {
        assertThat(extensions())
            .containsEntry("traceId", span.getSpanContext().getTraceId())
            .containsEntry("spanId", span.getSpanContext().getSpanId());
      } finally {
        span.end();
      }
      assertThat(extensions()).doesNotContainKeys("traceId", "spanId");
    }
  }
}
