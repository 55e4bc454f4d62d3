package io.parley.common.grpc.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.grpc.GrpcServerRunner;
import io.parley.safety.v1.GetPolicyRequest;
import io.parley.safety.v1.GetPolicyResponse;
import io.parley.safety.v1.SafetyServiceGrpc;
import io.parley.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC server and channels over real mutual TLS on loopback. */
class MutualTlsTest {

  private static final Duration REFRESH = Duration.ofMillis(200);
  private static final CallerPolicy POLICY =
      CallerPolicy.builder()
          .allow(SafetyServiceGrpc.getGetPolicyMethod(), "gateway", "operator")
          .allow(SafetyServiceGrpc.getModerateMethod(), "gateway")
          .allow(SafetyServiceGrpc.getSetPolicyMethod(), "gateway")
          .build();

  @TempDir static Path shared;
  private static TestCertificates certs;

  private GrpcServerRunner server;
  private final List<AutoCloseable> open = new java.util.ArrayList<>();

  @BeforeAll
  static void certificates() {
    certs = TestCertificates.create(shared);
  }

  @AfterEach
  void stop() throws Exception {
    for (var closeable : open.reversed()) {
      closeable.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void allowedIdentity_isServed() {
    server = start(security("safety"));

    assertThat(call(channel("gateway", "safety")).hasPolicy()).isFalse();
  }

  @Test
  void identityNotOnTheList_isPermissionDenied_withErrorInfoAndNoDetail() {
    server = start(security("safety"));

    assertThatThrownBy(() -> call(channel("inference", "safety")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(error.reason()).isEqualTo(GrpcErrors.CALLER_NOT_ALLOWED);
              assertThat(GrpcErrors.isCallerRefusal(error)).isTrue();
              assertThat(error.message()).doesNotContain("inference").doesNotContain("gateway");
            });
  }

  @Test
  void certificateWithoutIdentity_isUnauthenticated_withErrorInfo() throws Exception {
    server = start(security("safety"));
    var credentials =
        TlsChannelCredentials.newBuilder()
            .keyManager(certs.anonymousCertFile().toFile(), certs.anonymousKeyFile().toFile())
            .trustManager(certs.caFile().toFile())
            .build();
    var channel = track(NettyChannelBuilder.forTarget(target(), credentials).build());

    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(GrpcErrors.parse(e).code()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(GrpcErrors.parse(e).reason()).isEqualTo(GrpcErrors.CALLER_UNAUTHENTICATED);
            });
  }

  @Test
  void certificateWithoutIdentity_isNotAcceptedAsOwnIdentity() {
    assertThatThrownBy(
            () ->
                MutualTls.load(
                    GrpcSecurity.of(
                        certs.anonymousCertFile(),
                        certs.anonymousKeyFile(),
                        certs.caFile(),
                        REFRESH)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no platform identity");
  }

  @Test
  void keyOfAnotherCertificate_isRejected() {
    assertThatThrownBy(
            () ->
                MutualTls.load(
                    GrpcSecurity.of(
                        certs.certFile("gateway"),
                        certs.keyFile("usage"),
                        certs.caFile(),
                        REFRESH)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not belong");
  }

  @Test
  void noClientCertificate_isRefusedAtTheHandshake() throws Exception {
    server = start(security("safety"));
    var credentials =
        TlsChannelCredentials.newBuilder().trustManager(certs.caFile().toFile()).build();
    var channel = track(NettyChannelBuilder.forTarget(target(), credentials).build());

    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void certificateFromAnotherCa_isRefused() {
    server = start(security("safety"));
    var tls =
        MutualTls.load(
            GrpcSecurity.of(
                certs.foreignCertFile("gateway"),
                certs.foreignKeyFile("gateway"),
                certs.caFile(),
                REFRESH));
    open.add(tls);

    assertThatThrownBy(() -> call(track(Channels.open(target(), 1 << 20, tls, "safety"))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void serverWithAnotherIdentity_isRefusedByTheClient() {
    server = start(security("usage"));

    assertThatThrownBy(() -> call(channel("gateway", "safety")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void extraCallersFromConfiguration_areLetThrough() {
    var base = security("safety");
    server =
        start(
            new GrpcSecurity(
                base.certFile(),
                base.keyFile(),
                base.caFile(),
                REFRESH,
                GrpcSecurity.parseCallers("parley.safety.v1.SafetyService/GetPolicy=inference")));

    assertThat(call(channel("inference", "safety")).hasPolicy()).isFalse();
    assertThatThrownBy(() -> call(channel("embeddings", "safety")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void methodWithoutAllowList_stopsTheServerFromStarting() {
    var partial =
        CallerPolicy.builder().allow(SafetyServiceGrpc.getModerateMethod(), "gateway").build();

    assertThatThrownBy(() -> start(security("safety"), partial))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("SetPolicy");
  }

  @Test
  void missingCertificateFile_stopsTheServerFromStarting(@TempDir Path empty) {
    var missing =
        GrpcSecurity.of(
            empty.resolve("tls.crt"), empty.resolve("tls.key"), certs.caFile(), REFRESH);

    assertThatThrownBy(() -> start(missing))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tls.crt");
  }

  @Test
  void rotatedCaBundleAndServerCertificate_arePickedUpWithoutRestart(@TempDir Path dir)
      throws Exception {
    var oldCa = TestCertificates.Authority.create("old CA");
    var newCa = TestCertificates.Authority.create("new CA");
    var serverCert = dir.resolve("server/tls.crt");
    var serverKey = dir.resolve("server/tls.key");
    var serverCa = dir.resolve("server/ca.crt");
    oldCa.issue("safety").write(serverCert, serverKey);
    oldCa.writeCertificate(serverCa);
    // A gateway whose certificate comes from the new CA and that trusts only the new CA.
    newCa.issue("gateway").write(dir.resolve("gw/tls.crt"), dir.resolve("gw/tls.key"));
    newCa.writeCertificate(dir.resolve("gw/ca.crt"));
    server = start(GrpcSecurity.of(serverCert, serverKey, serverCa, REFRESH));
    var gateway =
        MutualTls.load(
            GrpcSecurity.of(
                dir.resolve("gw/tls.crt"),
                dir.resolve("gw/tls.key"),
                dir.resolve("gw/ca.crt"),
                REFRESH));
    open.add(gateway);

    assertThatThrownBy(() -> call(track(Channels.open(target(), 1 << 20, gateway, "safety"))))
        .isInstanceOf(StatusRuntimeException.class);

    // The Secret is updated in place: both CAs trusted, the server's certificate from the new CA.
    Thread.sleep(20);
    TestCertificates.writeBundle(serverCa, List.of(oldCa, newCa));
    newCa.issue("safety").write(serverCert, serverKey);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    StatusRuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        assertThat(call(track(Channels.open(target(), 1 << 20, gateway, "safety"))).hasPolicy())
            .isFalse();
        return;
      } catch (StatusRuntimeException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw new AssertionError("The rotated certificates were not picked up", last);
  }

  private GrpcSecurity security(String identity) {
    return GrpcSecurity.of(
        certs.certFile(identity), certs.keyFile(identity), certs.caFile(), REFRESH);
  }

  private static GrpcServerRunner start(GrpcSecurity security) {
    return start(security, POLICY);
  }

  private static GrpcServerRunner start(GrpcSecurity security, CallerPolicy policy) {
    return new GrpcServerRunner(
        "127.0.0.1",
        0,
        security,
        policy,
        List.of(
            new SafetyServiceGrpc.SafetyServiceImplBase() {
              @Override
              public void getPolicy(
                  GetPolicyRequest request, StreamObserver<GetPolicyResponse> observer) {
                observer.onNext(GetPolicyResponse.getDefaultInstance());
                observer.onCompleted();
              }
            }),
        List.of(),
        new io.parley.common.grpc.ConnectionLifetime(
            Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(1)),
        false,
        1);
  }

  private ManagedChannel channel(String identity, String serverIdentity) {
    var tls = MutualTls.load(security(identity));
    open.add(tls);
    return track(Channels.open(target(), 1 << 20, tls, serverIdentity));
  }

  private ManagedChannel track(ManagedChannel channel) {
    open.add(() -> Channels.close(channel));
    return channel;
  }

  private String target() {
    return "127.0.0.1:" + server.port();
  }

  private static GetPolicyResponse call(ManagedChannel channel) {
    return SafetyServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getPolicy(GetPolicyRequest.newBuilder().setOrganization("org-x").build());
  }
}
