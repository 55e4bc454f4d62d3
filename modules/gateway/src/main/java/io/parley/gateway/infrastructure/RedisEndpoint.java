package io.parley.gateway.infrastructure;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.StaticCredentialsProvider;
import io.lettuce.core.TimeoutOptions;
import io.parley.common.runtime.SecretFile;
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
    return SecretFile.read("parley.gateway.redis.password-file", file).toCharArray();
  }
}
