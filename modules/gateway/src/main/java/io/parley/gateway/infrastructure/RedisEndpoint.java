package io.parley.gateway.infrastructure;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.StaticCredentialsProvider;
import io.lettuce.core.TimeoutOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the gateway's shared Redis is and how to reach it: one place builds the Lettuce client for
 * the bucket store and the change feed.
 *
 * @param url Redis URL ({@code redis://host:6379}, {@code rediss://…}, a database as Lettuce reads
 *     it)
 * @param passwordFile file holding the password (mounted from a Secret), if Redis requires one; it
 *     replaces a password in the URL
 * @param timeout connect and command timeout
 */
public record RedisEndpoint(String url, Optional<Path> passwordFile, Duration timeout) {

  /** A password file larger than this is a mistake, not a password. */
  static final long MAX_PASSWORD_BYTES = 4096;

  public RedisEndpoint {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(passwordFile, "passwordFile");
    Objects.requireNonNull(timeout, "timeout");
  }

  /** A new client that reconnects by itself and rejects commands while disconnected. */
  RedisClient client() {
    var uri = RedisURI.create(url);
    uri.setTimeout(timeout);
    passwordFile.ifPresent(
        file ->
            uri.setCredentialsProvider(
                new StaticCredentialsProvider(uri.getUsername(), password(file))));
    var client = RedisClient.create(uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
            .build());
    return client;
  }

  private static char[] password(Path file) {
    try {
      if (Files.size(file) > MAX_PASSWORD_BYTES) {
        throw new IllegalStateException(
            "parley.gateway.redis.password-file "
                + file
                + " is over "
                + MAX_PASSWORD_BYTES
                + " bytes");
      }
      var password = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (password.isEmpty()) {
        throw new IllegalStateException("parley.gateway.redis.password-file " + file + " is empty");
      }
      return password.toCharArray();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read parley.gateway.redis.password-file " + file, e);
    }
  }
}
