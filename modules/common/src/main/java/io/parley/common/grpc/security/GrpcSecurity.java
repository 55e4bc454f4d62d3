package io.parley.common.grpc.security;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.Config;

/**
 * How a service takes part in the platform's mutual TLS: its own identity certificate and key, the
 * platform CA that every peer must be signed by, how often the files are checked for rotation, and
 * callers added to the allow-lists by configuration. Every gRPC hop is mutual TLS; there is no
 * plaintext mode.
 *
 * <p>Read from MicroProfile Config:
 *
 * <ul>
 *   <li>{@code parley.tls.cert-file}: PEM certificate chain of this service (its identity {@code
 *       spiffe://parley/<name>} as a URI subject alternative name)
 *   <li>{@code parley.tls.key-file}: its PEM private key (PKCS#8)
 *   <li>{@code parley.tls.ca-file}: PEM bundle of the platform CA certificates to trust (several
 *       during a CA rotation)
 *   <li>{@code parley.tls.refresh-ms}: how often the three files are checked and reloaded when they
 *       changed (Kubernetes updates mounted Secrets in place)
 *   <li>{@code parley.grpc.extra-callers}: identities added to a method's allow-list, {@code <full
 *       method name>=<identity> <identity>,…}, for example {@code
 *       parley.usage.v1.UsageService/Reserve=files}
 * </ul>
 *
 * @param certFile this service's certificate chain
 * @param keyFile this service's private key
 * @param caFile the trusted platform CA bundle
 * @param refresh how often the files are checked for rotation
 * @param extraCallers identities per full method name, added to the built-in allow-lists
 */
public record GrpcSecurity(
    Path certFile,
    Path keyFile,
    Path caFile,
    Duration refresh,
    Map<String, Set<String>> extraCallers) {

  /** Where a Kubernetes TLS Secret is mounted by default. */
  public static final String DEFAULT_DIR = "/etc/parley/tls";

  /** Validates and copies. */
  public GrpcSecurity {
    if (refresh.isNegative() || refresh.isZero()) {
      throw new IllegalArgumentException("parley.tls.refresh-ms must be positive");
    }
    extraCallers = Map.copyOf(extraCallers);
  }

  /** Settings from the certificate files alone, with no extra callers. */
  public static GrpcSecurity of(Path certFile, Path keyFile, Path caFile, Duration refresh) {
    return new GrpcSecurity(certFile, keyFile, caFile, refresh, Map.of());
  }

  /** Reads the settings. */
  public static GrpcSecurity from(Config config) {
    return new GrpcSecurity(
        Path.of(
            config
                .getOptionalValue("parley.tls.cert-file", String.class)
                .orElse(DEFAULT_DIR + "/tls.crt")),
        Path.of(
            config
                .getOptionalValue("parley.tls.key-file", String.class)
                .orElse(DEFAULT_DIR + "/tls.key")),
        Path.of(
            config
                .getOptionalValue("parley.tls.ca-file", String.class)
                .orElse(DEFAULT_DIR + "/ca.crt")),
        Duration.ofMillis(
            config.getOptionalValue("parley.tls.refresh-ms", Long.class).orElse(30_000L)),
        parseCallers(
            config.getOptionalValue("parley.grpc.extra-callers", String.class).orElse("")));
  }

  /**
   * Parses {@code <full method name>=<identity> <identity>,…}.
   *
   * @throws IllegalArgumentException when an entry or identity is malformed
   */
  public static Map<String, Set<String>> parseCallers(String spec) {
    var callers = new LinkedHashMap<String, Set<String>>();
    for (var entry : spec.split(",")) {
      var trimmed = entry.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      if (eq <= 0 || trimmed.indexOf('/') < 0) {
        throw new IllegalArgumentException(
            "parley.grpc.extra-callers: expected <service>/<method>=<identity> …, got " + trimmed);
      }
      var identities = new LinkedHashSet<String>();
      for (var identity : trimmed.substring(eq + 1).strip().split("\\s+")) {
        identities.add(ServiceIdentity.requireValid(identity));
      }
      callers
          .computeIfAbsent(trimmed.substring(0, eq).strip(), k -> new LinkedHashSet<>())
          .addAll(identities);
    }
    return callers;
  }
}
