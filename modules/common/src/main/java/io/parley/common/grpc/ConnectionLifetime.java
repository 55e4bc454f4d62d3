package io.parley.common.grpc;

import java.time.Duration;
import org.eclipse.microprofile.config.Config;

/**
 * How long a gRPC server keeps its client connections, and how it lets calls finish.
 *
 * <p>Read from MicroProfile Config:
 *
 * <ul>
 *   <li>{@code parley.grpc.max-connection-age-ms} (20 s): a connection older than this is asked to
 *       go away (HTTP/2 GOAWAY, ±10% jitter). Clients then resolve the target again and connect
 *       anew, so a replica that was scaled up gets calls within this time after it is ready.
 *   <li>{@code parley.grpc.max-connection-age-grace-ms} (10 min): how long calls already running on
 *       such a connection may go on (the longest stream); new calls go to the new connection.
 *   <li>{@code parley.grpc.shutdown-grace-ms} (the service's default): on shutdown the server
 *       reports NOT_SERVING in {@code grpc.health.v1} (clients with health checking stop picking
 *       it), takes no new calls and gives the calls in flight this long to finish.
 * </ul>
 *
 * @param maxAge age after which a connection is asked to go away
 * @param maxAgeGrace how long calls on such a connection may still run
 * @param shutdownGrace how long calls in flight get to finish on shutdown
 */
public record ConnectionLifetime(Duration maxAge, Duration maxAgeGrace, Duration shutdownGrace) {

  /** Default age after which a client connection is recycled. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(20);

  /** Default time calls on a recycled connection may still run. */
  public static final Duration DEFAULT_MAX_AGE_GRACE = Duration.ofMinutes(10);

  /** Checks the durations. */
  public ConnectionLifetime {
    if (maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("parley.grpc.max-connection-age-ms must be positive");
    }
    if (maxAgeGrace.isNegative() || shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("gRPC grace periods must not be negative");
    }
  }

  /**
   * Reads the settings.
   *
   * @param config MicroProfile Config
   * @param defaultShutdownGrace the service's own default for {@code parley.grpc.shutdown-grace-ms}
   */
  public static ConnectionLifetime from(Config config, Duration defaultShutdownGrace) {
    return new ConnectionLifetime(
        millis(config, "parley.grpc.max-connection-age-ms", DEFAULT_MAX_AGE),
        millis(config, "parley.grpc.max-connection-age-grace-ms", DEFAULT_MAX_AGE_GRACE),
        millis(config, "parley.grpc.shutdown-grace-ms", defaultShutdownGrace));
  }

  /** The defaults, with the given shutdown grace. */
  public static ConnectionLifetime defaults(Duration shutdownGrace) {
    return new ConnectionLifetime(DEFAULT_MAX_AGE, DEFAULT_MAX_AGE_GRACE, shutdownGrace);
  }

  private static Duration millis(Config config, String name, Duration fallback) {
    return config.getOptionalValue(name, Long.class).map(Duration::ofMillis).orElse(fallback);
  }
}
