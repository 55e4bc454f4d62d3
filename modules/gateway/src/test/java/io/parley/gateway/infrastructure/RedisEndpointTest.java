package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.Bucket;
import io.parley.gateway.domain.LimiterUnavailableException;
import io.parley.testing.Ports;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Redis that requires a password (its own redis-server on loopback): the password file. */
class RedisEndpointTest {

  static final String PASSWORD = "s3cret-" + UUID.randomUUID();
  static Process redis;
  static String url;

  @BeforeAll
  static void startRedisWithAPassword(@TempDir Path dir) throws Exception {
    int port = Ports.free();
    redis =
        new ProcessBuilder(
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--requirepass",
                PASSWORD,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    url = "redis://127.0.0.1:" + port;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (var ignored = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException e) {
        assertThat(redis.isAlive()).as("redis-server exited: %s", log(dir)).isTrue();
        assertThat(System.nanoTime()).as("redis-server did not listen").isLessThan(deadline);
        Thread.sleep(50);
      }
    }
  }

  static String log(Path dir) {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (redis != null) {
      redis.destroy();
      redis.waitFor(10, TimeUnit.SECONDS);
    }
  }

  static RedisBucketStore store(Optional<Path> passwordFile) {
    return new RedisBucketStore(
        new RedisEndpoint(url, passwordFile, Duration.ofSeconds(2)), "parley-test:");
  }

  @Test
  void passwordFromTheFile_isSentAsAuth(@TempDir Path dir) throws IOException {
    var file = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
    var store = store(Optional.of(file));
    try {
      var state = store.take("org", List.of(new Bucket("rpm", 10, 1))).getFirst();
      assertThat(state.refused()).isFalse();
      assertThat(state.remaining()).isEqualTo(9);
    } finally {
      store.close();
    }
  }

  @Test
  void withoutThePassword_theLimiterIsUnavailable() {
    var store = store(Optional.empty());
    try {
      assertThatThrownBy(() -> store.take("org", List.of(new Bucket("rpm", 10, 1))))
          .isInstanceOf(LimiterUnavailableException.class);
    } finally {
      store.close();
    }
  }

  @Test
  void anEmptyOrMissingPasswordFile_failsAtStartWithItsName(@TempDir Path dir) throws IOException {
    var empty = Files.writeString(dir.resolve("empty"), "  \n");
    assertThatThrownBy(() -> store(Optional.of(empty)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("password-file")
        .hasMessageContaining("empty");
    var missing = dir.resolve("missing");
    assertThatThrownBy(() -> store(Optional.of(missing)))
        .hasMessageContaining("password-file")
        .hasMessageContaining(missing.toString());
  }
}
