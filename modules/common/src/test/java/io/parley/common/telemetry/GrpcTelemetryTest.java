package io.parley.common.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC interceptors between a real in-process server and channel, each side with an SDK of its
 * own (as two services have): the trace crosses the hop, and both sides time the call.
 */
class GrpcTelemetryTest {

  private static final String METHOD = "grpc.health.v1.Health/Check";

  private final InMemorySpanExporter clientSpans = InMemorySpanExporter.create();
  private final InMemorySpanExporter serverSpans = InMemorySpanExporter.create();
  private final SimpleMeterRegistry clientMeters = new SimpleMeterRegistry();
  private final SimpleMeterRegistry serverMeters = new SimpleMeterRegistry();
  private OpenTelemetrySdk clientOtel;
  private OpenTelemetrySdk serverOtel;
  private Server server;
  private ManagedChannel channel;
  private ManagedChannel plainChannel;

  @BeforeEach
  void start() throws Exception {
    clientOtel = sdk(clientSpans);
    serverOtel = sdk(serverSpans);
    var health = new HealthStatusManager();
    health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
    var name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    health.getHealthService(), new GrpcServerTelemetry(serverMeters, serverOtel)))
            .build()
            .start();
    channel =
        InProcessChannelBuilder.forName(name)
            .directExecutor()
            .intercept(new GrpcClientTelemetry(clientMeters, clientOtel))
            .build();
    plainChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    plainChannel.shutdownNow();
    server.shutdownNow();
    clientOtel.close();
    serverOtel.close();
  }

  @Test
  void call_underAClientSpan_serverSpanContinuesTheSameTrace() {
    var parent = clientOtel.getTracer("test").spanBuilder("request").startSpan();
    try (var ignored = parent.makeCurrent()) {
      HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
    } finally {
      parent.end();
    }

    var client = only(clientSpans.getFinishedSpanItems(), SpanKind.CLIENT);
    var server = only(serverSpans.getFinishedSpanItems(), SpanKind.SERVER);
    assertThat(client.getName()).isEqualTo(METHOD);
    assertThat(client.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
    assertThat(client.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
    assertThat(server.getName()).isEqualTo(METHOD);
    assertThat(server.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
    assertThat(server.getParentSpanId()).isEqualTo(client.getSpanId());
    assertThat(server.getParentSpanContext().isRemote()).isTrue();
  }

  @Test
  void call_withTraceparentHeader_serverSpanJoinsThatTrace() {
    var traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    var headers = new Metadata();
    headers.put(
        Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
        "00-" + traceId + "-00f067aa0ba902b7-01");

    HealthGrpc.newBlockingStub(plainChannel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .check(HealthCheckRequest.getDefaultInstance());

    var server = only(serverSpans.getFinishedSpanItems(), SpanKind.SERVER);
    assertThat(server.getTraceId()).isEqualTo(traceId);
    assertThat(server.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
  }

  @Test
  void call_withoutTraceparent_startsANewTrace() {
    HealthGrpc.newBlockingStub(plainChannel).check(HealthCheckRequest.getDefaultInstance());

    var server = only(serverSpans.getFinishedSpanItems(), SpanKind.SERVER);
    assertThat(server.getSpanContext().isValid()).isTrue();
    assertThat(server.getParentSpanContext().isValid()).isFalse();
  }

  @Test
  void calls_areTimedPerMethodAndStatusCode_onBothSides() {
    var stub = HealthGrpc.newBlockingStub(channel);
    stub.check(HealthCheckRequest.getDefaultInstance());
    stub.check(HealthCheckRequest.getDefaultInstance());
    assertThatThrownBy(() -> stub.check(HealthCheckRequest.newBuilder().setService("nope").build()))
        .isInstanceOf(StatusRuntimeException.class);

    for (var side :
        List.of(
            new Side(serverMeters, GrpcServerTelemetry.METER),
            new Side(clientMeters, GrpcClientTelemetry.METER))) {
      assertThat(side.count("OK")).isEqualTo(2);
      assertThat(side.count(Status.Code.NOT_FOUND.name())).isEqualTo(1);
    }
    var failed = serverSpans.getFinishedSpanItems().getLast();
    assertThat(
            failed
                .getAttributes()
                .get(io.opentelemetry.api.common.AttributeKey.longKey("rpc.grpc.status_code")))
        .isEqualTo((long) Status.Code.NOT_FOUND.value());
  }

  @Test
  void modelLabel_hidesOrganizationsOfFineTunedModels() {
    assertThat(ModelLabel.of("stories260K")).isEqualTo("stories260K");
    assertThat(ModelLabel.of("ft:stories260K:org-abc:mine:ftjob-1")).isEqualTo("ft:stories260K");
    assertThat(ModelLabel.of("stories260K:ft-org-abc:mine-2026-01-01")).isEqualTo("ft:stories260K");
    assertThat(ModelLabel.of("")).isEqualTo("unknown");
    assertThat(ModelLabel.of("x".repeat(500))).hasSize(64);
  }

  private record Side(SimpleMeterRegistry meters, String name) {
    long count(String code) {
      var timer = meters.find(name).tag("method", METHOD).tag("code", code).timer();
      return timer == null ? 0 : timer.count();
    }
  }

  private static SpanData only(List<SpanData> spans, SpanKind kind) {
    var ofKind = spans.stream().filter(s -> s.getKind() == kind).toList();
    assertThat(ofKind).hasSize(1);
    return ofKind.getFirst();
  }

  private static OpenTelemetrySdk sdk(InMemorySpanExporter exporter) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }
}
