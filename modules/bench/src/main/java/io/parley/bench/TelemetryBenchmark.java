package io.parley.bench;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.parley.common.telemetry.GrpcClientTelemetry;
import io.parley.common.telemetry.GrpcServerTelemetry;
import java.util.Arrays;

/**
 * What the gRPC telemetry costs per call: unary calls through an in-process server and channel (no
 * network, so the interceptors' share is as large as it gets) with the client and server
 * interceptors of every Parley hop (spans made and propagated, latency histograms recorded, no
 * exporter), next to the same calls without them. Rounds alternate; medians.
 *
 * <p>Arguments: calls per round (default 200000), rounds (default 5).
 */
public final class TelemetryBenchmark {

  private TelemetryBenchmark() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    var health = new HealthStatusManager();
    health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
    Server plainServer =
        InProcessServerBuilder.forName("plain")
            .directExecutor()
            .addService(health.getHealthService())
            .build()
            .start();
    Server observedServer =
        InProcessServerBuilder.forName("observed")
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    health.getHealthService(), GrpcServerTelemetry.ofService()))
            .build()
            .start();
    ManagedChannel plain = InProcessChannelBuilder.forName("plain").directExecutor().build();
    ManagedChannel observed =
        InProcessChannelBuilder.forName("observed")
            .directExecutor()
            .intercept(GrpcClientTelemetry.ofService())
            .build();
    try {
      run(plain, calls / 4);
      run(observed, calls / 4);
      double[] without = new double[rounds];
      double[] with = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        without[r] = run(plain, calls);
        with[r] = run(observed, calls);
      }
      double a = median(without);
      double b = median(with);
      System.out.printf(
          "gRPC unary call, in-process: %.2f us without telemetry, %.2f us with it; "
              + "%.2f us added per call (ratio %.2f), %d calls x %d rounds%n",
          a, b, b - a, b / a, calls, rounds);
    } finally {
      plain.shutdownNow();
      observed.shutdownNow();
      plainServer.shutdownNow();
      observedServer.shutdownNow();
    }
  }

  /** Microseconds per call. */
  private static double run(ManagedChannel channel, int calls) {
    var stub = HealthGrpc.newBlockingStub(channel);
    var request = HealthCheckRequest.getDefaultInstance();
    long start = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      stub.check(request);
    }
    return (System.nanoTime() - start) / 1_000.0 / calls;
  }

  private static double median(double[] values) {
    var sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
