package io.parley.common.telemetry;

import io.parley.common.runtime.SecretFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The bearer token a scraper must send to read {@code /metrics}, when one is configured ({@code
 * parley.metrics.token-file}: a file holding the token, mounted from a Secret). Without one, {@code
 * /metrics} is open to whoever reaches the service's HTTP port.
 */
public final class ScrapeToken {

  private final byte[] token;

  private ScrapeToken(byte[] token) {
    this.token = token;
  }

  /** No token: every scrape is let through. */
  public static ScrapeToken none() {
    return new ScrapeToken(null);
  }

  /**
   * Reads the token from a file (surrounding white space ignored).
   *
   * @throws IllegalArgumentException when the file is empty or longer than {@link
   *     SecretFile#MAX_BYTES}
   * @throws UncheckedIOException when it cannot be read
   */
  public static ScrapeToken fromFile(Path file) {
    return new ScrapeToken(
        SecretFile.read("parley.metrics.token-file", file).getBytes(StandardCharsets.UTF_8));
  }

  /** The configured token file, or none. */
  public static ScrapeToken from(Optional<String> file) {
    return file.filter(f -> !f.isBlank())
        .map(f -> fromFile(Path.of(f)))
        .orElseGet(ScrapeToken::none);
  }

  /** Whether a token is required. */
  public boolean required() {
    return token != null;
  }

  /**
   * Whether a request with this {@code Authorization} header may read the meters (compared in
   * constant time).
   */
  public boolean permits(String authorization) {
    if (token == null) {
      return true;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    var presented = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(presented, token);
  }
}
