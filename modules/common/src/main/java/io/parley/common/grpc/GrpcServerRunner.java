package io.parley.common.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.protobuf.services.HealthStatusManager;
import io.parley.common.grpc.security.CallerCheck;
import io.parley.common.grpc.security.CallerPolicy;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.common.telemetry.GrpcServerTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a grpc-java (Netty) server on its own port beside the Liberty HTTP endpoint, with the
 * standard {@code grpc.health.v1} service, keepalive and a maximum connection age so that clients
 * rebalance onto new pods. Started and stopped with the application.
 *
 * <p>Every call is mutual TLS: the server presents this service's identity, requires a client
 * certificate signed by the platform CA, and lets a call through only when the caller's identity is
 * on the method's allow-list ({@link CallerCheck}). The server does not start when a method of its
 * services has no allow-list. The certificates are reloaded when their files change.
 *
 * <p>Every call of the services is observed by {@link GrpcServerTelemetry} (latency histogram per
 * method and code, a server span continuing the caller's trace).
 */
public final class GrpcServerRunner implements AutoCloseable {

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Duration shutdownGrace;
  private final MutualTls tls;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final CallTally tally = new CallTally();

  /**
   * Creates and starts the server.
   *
   * @param host address to bind ("0.0.0.0" in a pod, "127.0.0.1" locally)
   * @param port port to bind; 0 picks a free one
   * @param security this service's certificate, key and trusted CA, and configured extra callers
   * @param callers who may call each method of the services
   * @param services the services to expose
   * @param interceptors interceptors applied to every service (after the caller check)
   * @param lifetime how long a client connection may live before the server asks it to reconnect
   *     (load balancing across replicas), and how long calls get to finish then and on shutdown
   * @param nonBlockingHandlers whether every handler returns at once without blocking (it only
   *     hands work to a queue or another thread); such handlers run on the network threads, which
   *     saves a thread hand-off per call. Handlers that wait on a database or run a model inline
   *     must leave this false.
   * @param eventLoopThreads Netty event-loop threads serving the connections (see {@link
   *     io.parley.common.runtime.HostResources#eventLoopThreads}); one more thread accepts them
   * @throws IllegalStateException when the TLS files cannot be read or a method has no allow-list
   */
  public GrpcServerRunner(
      String host,
      int port,
      GrpcSecurity security,
      CallerPolicy callers,
      List<BindableService> services,
      List<ServerInterceptor> interceptors,
      ConnectionLifetime lifetime,
      boolean nonBlockingHandlers,
      int eventLoopThreads) {
    if (eventLoopThreads < 1) {
      throw new IllegalArgumentException("eventLoopThreads must be >= 1: " + eventLoopThreads);
    }
    this.shutdownGrace = lifetime.shutdownGrace();
    var definitions = services.stream().map(BindableService::bindService).toList();
    var policy =
        callers
            .and(
                CallerPolicy.builder()
                    .allowAll(HealthGrpc.getServiceDescriptor(), CallerPolicy.ANY_IDENTITY)
                    .build())
            .plus(security.extraCallers());
    policy.requireCovers(definitions);
    this.tls = MutualTls.load(security);
    var check = new CallerCheck(policy);
    boolean epoll = Epoll.isAvailable();
    this.boss = eventLoops(epoll, 1, "grpc-boss");
    this.workers = eventLoops(epoll, eventLoopThreads, "grpc-worker");
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    var builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port), tls.serverCredentials())
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(workers)
            .channelType(channelType)
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .maxConnectionAge(lifetime.maxAge().toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAgeGrace(lifetime.maxAgeGrace().toMillis(), TimeUnit.MILLISECONDS)
            .addService(ServerInterceptors.intercept(health.getHealthService(), check));
    if (nonBlockingHandlers) {
      builder.directExecutor();
    }
    // ServerInterceptors.intercept runs the last interceptor of the list first.
    var chain = new ArrayList<ServerInterceptor>(interceptors);
    chain.add(check);
    // Counted once the caller check let the call through.
    chain.add(0, tally);
    // Outermost: every call is timed and traced, the refused ones included.
    chain.add(GrpcServerTelemetry.ofService());
    for (var service : definitions) {
      builder.addService(ServerInterceptors.intercept(service, chain));
    }
    try {
      this.server = builder.build().start();
    } catch (IOException e) {
      tally.close();
      releaseResources();
      throw new UncheckedIOException("gRPC server could not bind " + host + ":" + port, e);
    } catch (RuntimeException e) {
      tally.close();
      releaseResources();
      throw e;
    }
  }

  private static EventLoopGroup eventLoops(boolean epoll, int threads, String name) {
    var factory = new DefaultThreadFactory(name, true);
    return epoll
        ? new EpollEventLoopGroup(threads, factory)
        : new NioEventLoopGroup(threads, factory);
  }

  private void releaseResources() {
    tls.close();
    boss.shutdownGracefully(0, 5, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS);
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** Marks the whole server serving (or not) in the gRPC health service. */
  public void setServing(boolean serving) {
    health.setStatus(
        "",
        serving
            ? io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING
            : io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
  }

  /** Stops taking calls, lets calls in flight finish within the grace period, then stops. */
  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      tally.close();
      releaseResources();
    }
  }
}
