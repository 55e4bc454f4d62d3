package io.parley.common.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.security.CallerPolicy;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.safety.v1.GetPolicyRequest;
import io.parley.safety.v1.GetPolicyResponse;
import io.parley.safety.v1.SafetyServiceGrpc;
import io.parley.testing.TestCertificates;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channels follow the replicas behind a name as a Kubernetes headless service changes: a replica
 * that reports NOT_SERVING (or shuts down) leaves the rotation at once without failing a call, and
 * one that appears behind the name gets calls once the servers recycle their connections.
 */
class ReplicaRotationTest {

  private static final CallerPolicy POLICY =
      CallerPolicy.builder()
          .allow(SafetyServiceGrpc.getGetPolicyMethod(), "gateway")
          .allow(SafetyServiceGrpc.getModerateMethod(), "gateway")
          .allow(SafetyServiceGrpc.getSetPolicyMethod(), "gateway")
          .build();

  @TempDir static Path dir;
  private static TestCertificates certs;
  private static final Replicas RESOLVER = new Replicas();

  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void setUp() {
    certs = TestCertificates.create(dir);
    NameResolverRegistry.getDefaultRegistry().register(RESOLVER);
  }

  @AfterAll
  static void tearDown() {
    NameResolverRegistry.getDefaultRegistry().deregister(RESOLVER);
  }

  @AfterEach
  void close() throws Exception {
    for (var closeable : open.reversed()) {
      closeable.close();
    }
  }

  @Test
  void notServingReplica_leavesTheRotation_andComesBack_withoutAFailedCall() throws Exception {
    var a = new Replica(Duration.ofMinutes(5));
    var b = new Replica(Duration.ofMinutes(5));
    RESOLVER.addresses.clear();
    RESOLVER.addresses.addAll(List.of(a.address(), b.address()));
    var channel = channel();

    callTimes(channel, 40);
    assertThat(a.calls.get()).isPositive();
    assertThat(b.calls.get()).isPositive();

    a.server.setServing(false);
    Thread.sleep(500);
    a.calls.set(0);
    b.calls.set(0);
    callTimes(channel, 40);
    assertThat(a.calls.get()).isZero();
    assertThat(b.calls.get()).isEqualTo(40);

    a.server.setServing(true);
    Thread.sleep(500);
    a.calls.set(0);
    callTimes(channel, 40);
    assertThat(a.calls.get()).isPositive();
  }

  @Test
  void replicaShuttingDown_getsNoNewCalls_andNoCallFails() throws Exception {
    var a = new Replica(Duration.ofMinutes(5));
    var b = new Replica(Duration.ofMinutes(5));
    RESOLVER.addresses.clear();
    RESOLVER.addresses.addAll(List.of(a.address(), b.address()));
    var channel = channel();
    callTimes(channel, 20);

    a.server.close();
    b.calls.set(0);
    callTimes(channel, 40);
    assertThat(b.calls.get()).isEqualTo(40);
  }

  @Test
  void newReplicaBehindTheName_getsCalls_withinTheMaximumConnectionAge() throws Exception {
    var a = new Replica(Duration.ofSeconds(1));
    RESOLVER.addresses.clear();
    RESOLVER.addresses.add(a.address());
    var channel = channel();
    callTimes(channel, 10);

    var b = new Replica(Duration.ofSeconds(1));
    RESOLVER.addresses.add(b.address());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (b.calls.get() == 0 && System.nanoTime() < deadline) {
      callTimes(channel, 5);
      Thread.sleep(50);
    }
    assertThat(b.calls.get()).isPositive();
  }

  private static void callTimes(ManagedChannel channel, int times) {
    var stub = SafetyServiceGrpc.newBlockingStub(channel);
    for (int i = 0; i < times; i++) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS)
          .getPolicy(GetPolicyRequest.newBuilder().setOrganization("org-x").build());
    }
  }

  private ManagedChannel channel() {
    var tls = MutualTls.load(security("gateway"));
    open.add(tls);
    var channel = Channels.open("replicas:///safety", 1 << 20, tls, "safety");
    open.add(() -> Channels.close(channel));
    return channel;
  }

  private static GrpcSecurity security(String identity) {
    return GrpcSecurity.of(
        certs.certFile(identity), certs.keyFile(identity), certs.caFile(), Duration.ofSeconds(30));
  }

  /** One replica of a service: a real server that counts the calls it serves. */
  private final class Replica {
    final AtomicInteger calls = new AtomicInteger();
    final GrpcServerRunner server;

    Replica(Duration maxAge) {
      server =
          new GrpcServerRunner(
              "127.0.0.1",
              0,
              security("safety"),
              POLICY,
              List.of(
                  new SafetyServiceGrpc.SafetyServiceImplBase() {
                    @Override
                    public void getPolicy(
                        GetPolicyRequest request, StreamObserver<GetPolicyResponse> observer) {
                      calls.incrementAndGet();
                      observer.onNext(GetPolicyResponse.getDefaultInstance());
                      observer.onCompleted();
                    }
                  }),
              List.of(),
              new ConnectionLifetime(maxAge, Duration.ofSeconds(5), Duration.ofSeconds(2)),
              false,
              1);
      open.add(server);
    }

    SocketAddress address() {
      return new InetSocketAddress("127.0.0.1", server.port());
    }
  }

  /** A name resolver over a list of addresses that may change, as DNS of a headless service. */
  private static final class Replicas extends NameResolverProvider {
    final List<SocketAddress> addresses = new CopyOnWriteArrayList<>();

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }

    @Override
    public String getDefaultScheme() {
      return "replicas";
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
      if (!"replicas".equals(targetUri.getScheme())) {
        return null;
      }
      return new NameResolver() {
        private Listener2 listener;

        @Override
        public String getServiceAuthority() {
          return "safety";
        }

        @Override
        public void start(Listener2 listener) {
          this.listener = listener;
          refresh();
        }

        @Override
        public void refresh() {
          listener.onResult(
              ResolutionResult.newBuilder()
                  .setAddressesOrError(
                      io.grpc.StatusOr.fromValue(
                          addresses.stream().map(EquivalentAddressGroup::new).toList()))
                  .build());
        }

        @Override
        public void shutdown() {}
      };
    }
  }
}
