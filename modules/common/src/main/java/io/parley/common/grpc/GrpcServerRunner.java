package io.parley.common.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a grpc-java (Netty) server on its own port beside the Liberty HTTP endpoint, with the
 * standard {@code grpc.health.v1} service, keepalive and a maximum connection age so that clients
 * rebalance onto new pods. Started and stopped with the application.
 */
public final class GrpcServerRunner implements AutoCloseable {

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Duration shutdownGrace;

  /**
   * Creates and starts the server.
   *
   * @param host address to bind ("0.0.0.0" in a pod, "127.0.0.1" locally)
   * @param port port to bind; 0 picks a free one
   * @param services the services to expose
   * @param interceptors interceptors applied to every service
   * @param maxConnectionAge how long a client connection may live before the server asks it to
   *     reconnect (load balancing across replicas)
   * @param shutdownGrace how long calls in flight get to finish on shutdown
   */
  public GrpcServerRunner(
      String host,
      int port,
      List<BindableService> services,
      List<ServerInterceptor> interceptors,
      Duration maxConnectionAge,
      Duration shutdownGrace) {
    this(host, port, services, interceptors, maxConnectionAge, shutdownGrace, false);
  }

  /**
   * Creates and starts the server.
   *
   * @param nonBlockingHandlers whether every handler returns at once without blocking (it only
   *     hands work to a queue or another thread); such handlers run on the network threads, which
   *     saves a thread hand-off per call. Handlers that wait on a database or run a model inline
   *     must leave this false.
   * @see #GrpcServerRunner(String, int, List, List, Duration, Duration)
   */
  public GrpcServerRunner(
      String host,
      int port,
      List<BindableService> services,
      List<ServerInterceptor> interceptors,
      Duration maxConnectionAge,
      Duration shutdownGrace,
      boolean nonBlockingHandlers) {
    this.shutdownGrace = shutdownGrace;
    var builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .maxConnectionAge(maxConnectionAge.toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAgeGrace(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)
            .addService(health.getHealthService());
    if (nonBlockingHandlers) {
      builder.directExecutor();
    }
    for (var service : services) {
      builder.addService(ServerInterceptors.intercept(service, interceptors));
    }
    try {
      this.server = builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("gRPC server could not bind " + host + ":" + port, e);
    }
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
    }
  }
}
