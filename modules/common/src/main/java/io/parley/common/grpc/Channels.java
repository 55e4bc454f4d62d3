package io.parley.common.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.parley.common.grpc.security.MutualTls;
import io.parley.common.telemetry.GrpcClientTelemetry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Client channels to Parley services: one per target, {@code round_robin} over every address the
 * target resolves to ({@code dns:///inference:9090} in Kubernetes reaches every pod of a headless
 * service), keepalive, mutual TLS (this service's identity; the server must present the identity
 * the caller expects). Client-side health checking ({@code grpc.health.v1} Watch) takes a replica
 * out of the rotation as soon as it reports NOT_SERVING (model not loaded yet, shutting down), and
 * back when it serves again; servers recycle connections ({@link ConnectionLifetime}), so new
 * replicas behind the name are found within that time. Every call carries the caller's trace
 * context and is timed ({@link GrpcClientTelemetry}). Each channel owns its Netty event loop, so
 * closing it leaves no thread behind when the application is stopped or redeployed.
 */
public final class Channels {

  private static final Map<ManagedChannel, EventLoopGroup> LOOPS = new ConcurrentHashMap<>();

  /** round_robin over the resolved addresses, each watched through grpc.health.v1 (server "" ). */
  private static final Map<String, Object> SERVICE_CONFIG =
      Map.of(
          "loadBalancingConfig",
          List.of(Map.of("round_robin", Map.of())),
          "healthCheckConfig",
          Map.of("serviceName", ""));

  private Channels() {}

  /**
   * Opens a channel.
   *
   * @param target gRPC target, for example {@code dns:///parley-inference:9090} or {@code
   *     127.0.0.1:9090}
   * @param maxInboundMessageBytes largest message accepted from the server
   * @param tls this service's identity and the platform CA
   * @param serverIdentity the identity the server must present ({@code inference}, …)
   */
  public static ManagedChannel open(
      String target, int maxInboundMessageBytes, MutualTls tls, String serverIdentity) {
    var loop = new NioEventLoopGroup(2);
    var channel =
        NettyChannelBuilder.forTarget(target, tls.channelCredentials(serverIdentity))
            .eventLoopGroup(loop)
            .channelType(NioSocketChannel.class)
            .defaultServiceConfig(SERVICE_CONFIG)
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .keepAliveWithoutCalls(true)
            .maxInboundMessageSize(maxInboundMessageBytes)
            .intercept(GrpcClientTelemetry.ofService())
            .build();
    LOOPS.put(channel, loop);
    return channel;
  }

  /** Shuts a channel down, waiting briefly for calls in flight, then stops its event loop. */
  public static void close(ManagedChannel channel) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
        channel.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      var loop = LOOPS.remove(channel);
      if (loop != null) {
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      }
    }
  }
}
