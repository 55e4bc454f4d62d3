package io.parley.gateway.infrastructure;

import io.parley.gateway.application.ChangeFeed;
import io.parley.gateway.domain.BucketStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The rate limiter's bucket store, chosen by {@code parley.gateway.limiter}: {@code memory} (one
 * gateway replica) or {@code redis} (several, sharing {@code parley.gateway.redis.url}).
 */
@ApplicationScoped
public class BucketStoreProducer {

  private static final Logger LOG = Logger.getLogger(BucketStoreProducer.class.getName());

  @Inject
  @ConfigProperty(name = "parley.gateway.limiter")
  String limiter;

  @Inject
  @ConfigProperty(name = "parley.gateway.redis.url")
  String redisUrl;

  /** File holding Redis's password (mounted from a Secret); empty when Redis needs none. */
  @Inject
  @ConfigProperty(name = "parley.gateway.redis.password-file")
  Optional<String> redisPasswordFile;

  @Inject
  @ConfigProperty(name = "parley.gateway.redis.prefix")
  String redisPrefix;

  @Inject
  @ConfigProperty(name = "parley.gateway.redis.timeout-ms")
  long redisTimeoutMillis;

  @Produces
  @ApplicationScoped
  BucketStore store() {
    return switch (limiter.strip().toLowerCase(Locale.ROOT)) {
      case "memory" -> {
        LOG.info("Rate limits are kept in memory (one gateway replica)");
        yield new TimedBucketStore(new MemoryBucketStore(), "memory");
      }
      case "redis" -> {
        LOG.info(() -> "Rate limits are kept in Redis, keys " + redisPrefix + "*");
        yield new TimedBucketStore(new RedisBucketStore(redisEndpoint(), redisPrefix), "redis");
      }
      default ->
          throw new IllegalStateException(
              "parley.gateway.limiter must be memory or redis, not '" + limiter + "'");
    };
  }

  private RedisEndpoint redisEndpoint() {
    return new RedisEndpoint(
        redisUrl,
        redisPasswordFile.map(String::strip).filter(path -> !path.isEmpty()).map(Path::of),
        Duration.ofMillis(redisTimeoutMillis));
  }

  void close(@Disposes BucketStore store) {
    store.close();
  }

  /**
   * How access changes reach the other replicas: through Redis pub/sub when the limiter is shared
   * in Redis (several replicas), not at all in memory mode (one replica).
   */
  @Produces
  @ApplicationScoped
  ChangeFeed changeFeed() {
    if (limiter.strip().equalsIgnoreCase("redis")) {
      return new RedisChangeFeed(redisEndpoint(), redisPrefix);
    }
    return ChangeFeed.LOCAL;
  }

  void close(@Disposes ChangeFeed feed) {
    feed.close();
  }
}
