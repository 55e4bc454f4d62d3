package io.parley.common.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * Client channels to Parley services: one per target, {@code round_robin} over every address the
 * target resolves to ({@code dns:///inference:9090} in Kubernetes reaches every pod of a headless
 * service), keepalive, plaintext inside the cluster.
 */
public final class Channels {

  private Channels() {}

  /**
   * Opens a channel.
   *
   * @param target gRPC target, for example {@code dns:///parley-inference:9090} or {@code
   *     127.0.0.1:9090}
   * @param maxInboundMessageBytes largest message accepted from the server
   */
  public static ManagedChannel open(String target, int maxInboundMessageBytes) {
    return NettyChannelBuilder.forTarget(target)
        .defaultLoadBalancingPolicy("round_robin")
        .usePlaintext()
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .maxInboundMessageSize(maxInboundMessageBytes)
        .build();
  }

  /** Shuts a channel down, waiting briefly for calls in flight. */
  public static void close(ManagedChannel channel) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
