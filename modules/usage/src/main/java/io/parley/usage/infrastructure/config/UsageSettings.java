package io.parley.usage.infrastructure.config;

import io.parley.common.grpc.ConnectionLifetime;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.runtime.HostResources;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.ModerationPolicy;
import io.parley.usage.domain.PriceTable;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * The usage service's settings, read from MicroProfile Config (defaults in {@code
 * META-INF/microprofile-config.properties}, overridden by environment variables such as {@code
 * PARLEY_USAGE_DB_URL}).
 *
 * @param grpcHost address the gRPC server binds
 * @param grpcPort port of the gRPC server
 * @param security certificates of the gRPC server's mutual TLS
 * @param lifetime how long the gRPC server keeps client connections and lets calls finish
 * @param dbUrl JDBC URL (H2 or PostgreSQL)
 * @param dbUser database user
 * @param dbPasswordFile file with the database password
 * @param dbPoolSize maximum pooled connections
 * @param bootstrapKeyFile the gateway's admin key file
 * @param bootstrapOrganizationName name of the first organization
 * @param bootstrapOwnerEmail e-mail address of the first owner
 * @param prices price table
 * @param reservationTtl age after which unsettled reservations are released
 * @param leaseTtl how long a budget lease lasts unless returned ({@code parley.usage.lease-ttl-s})
 * @param softLimitWebhook URL that receives soft-limit notifications
 * @param defaultLimits the tier every new organization starts with ({@code
 *     parley.usage.default-limits.*})
 * @param defaultPolicy moderation policy of organizations that set none
 * @param inviteTtl how long an invitation stays pending
 * @param grpcEventLoops Netty event-loop threads of the gRPC server ({@code
 *     parley.grpc.event-loop-threads}, 0 = chosen from the host)
 */
public record UsageSettings(
    String grpcHost,
    int grpcPort,
    GrpcSecurity security,
    ConnectionLifetime lifetime,
    String dbUrl,
    String dbUser,
    Optional<Path> dbPasswordFile,
    int dbPoolSize,
    Optional<Path> bootstrapKeyFile,
    String bootstrapOrganizationName,
    String bootstrapOwnerEmail,
    PriceTable prices,
    Duration reservationTtl,
    Duration leaseTtl,
    Optional<URI> softLimitWebhook,
    Limits defaultLimits,
    ModerationPolicy defaultPolicy,
    Duration inviteTtl,
    int grpcEventLoops) {

  /** Reads the settings. */
  public static UsageSettings from(Config config) {
    var dataDir =
        config
            .getOptionalValue("parley.data-dir", String.class)
            .orElse(System.getProperty("user.home") + "/.parley/data");
    return new UsageSettings(
        config.getOptionalValue("parley.grpc.host", String.class).orElse("127.0.0.1"),
        config.getOptionalValue("parley.grpc.port", Integer.class).orElse(9096),
        GrpcSecurity.from(config),
        ConnectionLifetime.from(config, Duration.ofSeconds(10)),
        config
            .getOptionalValue("parley.usage.db.url", String.class)
            .orElse("jdbc:h2:file:" + dataDir + "/usage"),
        config.getOptionalValue("parley.usage.db.user", String.class).orElse("sa"),
        nonBlank(config.getOptionalValue("parley.usage.db.password-file", String.class))
            .map(Path::of),
        config.getOptionalValue("parley.usage.db.pool-size", Integer.class).orElse(10),
        nonBlank(config.getOptionalValue("parley.usage.bootstrap-key-file", String.class))
            .map(Path::of),
        config
            .getOptionalValue("parley.usage.bootstrap.organization-name", String.class)
            .orElse("Default organization"),
        config
            .getOptionalValue("parley.usage.bootstrap.owner-email", String.class)
            .orElse("admin@localhost"),
        PriceTable.parse(
            config.getOptionalValue("parley.usage.prices", String.class).orElse(""),
            config
                .getOptionalValue("parley.usage.price.default", String.class)
                .orElse("1000000/2000000")),
        Duration.ofSeconds(
            config.getOptionalValue("parley.usage.reservation-ttl-s", Long.class).orElse(3600L)),
        Duration.ofSeconds(Math.max(1, longValue(config, "parley.usage.lease-ttl-s", 60))),
        nonBlank(config.getOptionalValue("parley.usage.soft-limit-webhook-url", String.class))
            .map(URI::create),
        new Limits(
            longValue(config, "parley.usage.default-limits.rpm", 500),
            longValue(config, "parley.usage.default-limits.tpm", 200_000),
            longValue(config, "parley.usage.default-limits.soft-limit-micros", 0),
            longValue(config, "parley.usage.default-limits.hard-limit-micros", 100_000_000),
            List.of()),
        new ModerationPolicy(
            config
                .getOptionalValue("parley.usage.moderation.default.screen-input", Boolean.class)
                .orElse(false),
            config
                .getOptionalValue("parley.usage.moderation.default.screen-output", Boolean.class)
                .orElse(false)),
        Duration.ofSeconds(
            config.getOptionalValue("parley.usage.invite-ttl-s", Long.class).orElse(604_800L)),
        HostResources.from(config).eventLoopThreads(config));
  }

  private static long longValue(Config config, String name, long fallback) {
    long value = config.getOptionalValue(name, Long.class).orElse(fallback);
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative");
    }
    return value;
  }

  private static Optional<String> nonBlank(Optional<String> value) {
    return value.map(String::strip).filter(s -> !s.isEmpty());
  }
}
