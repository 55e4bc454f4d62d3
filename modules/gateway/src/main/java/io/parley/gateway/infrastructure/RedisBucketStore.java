package io.parley.gateway.infrastructure;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.parley.gateway.domain.Bucket;
import io.parley.gateway.domain.BucketState;
import io.parley.gateway.domain.BucketStore;
import io.parley.gateway.domain.LimiterUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Token buckets in Redis, shared by every gateway replica. Each take or correction is one Lua
 * script, so it is atomic across replicas; time comes from the Redis server ({@code TIME}), so the
 * replicas' clocks do not matter. A bucket is a hash {@code {l: level, t: millis}} in sub-units
 * (see {@link BucketStore}), stored only while it is not full (it expires when it would be full
 * again). Keys are {@code <prefix>{<organization>}:<bucket>}: one hash slot per organization, so
 * the scripts also run on Redis Cluster.
 *
 * <p>Commands time out after {@code timeout}; while Redis is down, calls fail at once (no queueing)
 * and the connection is retried at most once per {@code timeout}.
 */
public final class RedisBucketStore implements BucketStore {

  private static final Logger LOG = Logger.getLogger(RedisBucketStore.class.getName());

  /** Takes from all buckets or none. ARGV: per bucket limit, cost. Returns ok, then per bucket. */
  static final String TAKE =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local scale = 60000
      local n = #KEYS
      local levels = {}
      local ok = 1
      for i = 1, n do
        local limit = tonumber(ARGV[2 * i - 1])
        local cap = limit * scale
        local v = redis.call('HMGET', KEYS[i], 'l', 't')
        local level = cap
        if v[1] then
          level = tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * limit
          if level > cap then level = cap end
        end
        levels[i] = level
        if level < tonumber(ARGV[2 * i]) * scale then ok = 0 end
      end
      local out = {ok}
      for i = 1, n do
        local limit = tonumber(ARGV[2 * i - 1])
        local cap = limit * scale
        local cost = tonumber(ARGV[2 * i]) * scale
        local level = levels[i]
        local wait = 0
        if ok == 1 then
          level = level - cost
          if cost > 0 then
            redis.call('HSET', KEYS[i], 'l', string.format('%.0f', level), 't', now)
            redis.call('PEXPIRE', KEYS[i], math.ceil((cap - level) / limit) + 1000)
          end
        elseif level < cost then
          wait = math.ceil((cost - level) / limit)
        end
        out[#out + 1] = string.format('%.0f', level)
        out[#out + 1] = wait
      end
      return out
      """;

  /** Corrects one bucket without a check. ARGV: limit, units (positive takes, negative gives). */
  static final String ADJUST =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local scale = 60000
      local limit = tonumber(ARGV[1])
      local cap = limit * scale
      local v = redis.call('HMGET', KEYS[1], 'l', 't')
      local level = cap
      if v[1] then
        level = tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * limit
        if level > cap then level = cap end
      end
      level = level - tonumber(ARGV[2]) * scale
      if level >= cap then
        redis.call('DEL', KEYS[1])
        return 0
      end
      redis.call('HSET', KEYS[1], 'l', string.format('%.0f', level), 't', now)
      redis.call('PEXPIRE', KEYS[1], math.ceil((cap - level) / limit) + 1000)
      return 1
      """;

  private final RedisClient client;
  private final String prefix;
  private final long timeoutMillis;
  private volatile StatefulRedisConnection<String, String> connection;
  private volatile long lastAttempt;
  private String takeSha;
  private String adjustSha;

  /**
   * @param endpoint the Redis server and how to reach it
   * @param prefix prefix of every key
   */
  public RedisBucketStore(RedisEndpoint endpoint, String prefix) {
    this.client = endpoint.client();
    this.prefix = prefix;
    this.timeoutMillis = endpoint.timeout().toMillis();
  }

  @Override
  public List<BucketState> take(String organization, List<Bucket> buckets) {
    var keys = new String[buckets.size()];
    var args = new String[buckets.size() * 2];
    for (int i = 0; i < buckets.size(); i++) {
      var bucket = buckets.get(i);
      keys[i] = key(organization, bucket.key());
      args[2 * i] = Long.toString(bucket.limit());
      args[2 * i + 1] = Long.toString(bucket.cost());
    }
    List<Object> out = run(true, keys, args);
    var states = new ArrayList<BucketState>(buckets.size());
    for (int i = 0; i < buckets.size(); i++) {
      long level = Long.parseLong(out.get(1 + 2 * i).toString());
      long wait = ((Number) out.get(2 + 2 * i)).longValue();
      states.add(MemoryBucketStore.state(buckets.get(i), level, wait));
    }
    return states;
  }

  @Override
  public void adjust(String organization, String key, long limit, long units) {
    if (units != 0) {
      run(false, new String[] {key(organization, key)}, Long.toString(limit), Long.toString(units));
    }
  }

  /** The Redis key of a bucket. */
  String key(String organization, String bucket) {
    return prefix + "{" + organization + "}:" + bucket;
  }

  @SuppressWarnings("unchecked")
  private <T> T run(boolean take, String[] keys, String... args) {
    var commands = commands();
    var type = take ? ScriptOutputType.MULTI : ScriptOutputType.INTEGER;
    try {
      try {
        return (T) commands.evalsha(take ? takeSha : adjustSha, type, keys, args);
      } catch (RedisNoScriptException e) {
        return (T) commands.eval(take ? TAKE : ADJUST, type, keys, args);
      }
    } catch (RedisException e) {
      LOG.log(Level.FINE, "Redis rate-limit call failed", e);
      throw new LimiterUnavailableException(1);
    }
  }

  private RedisCommands<String, String> commands() {
    var current = connection;
    if (current != null) {
      return current.sync();
    }
    synchronized (this) {
      if (connection != null) {
        return connection.sync();
      }
      long now = System.nanoTime() / 1_000_000;
      if (lastAttempt != 0 && now - lastAttempt < timeoutMillis) {
        throw new LimiterUnavailableException(1);
      }
      lastAttempt = now;
      try {
        var opened = client.connect();
        takeSha = opened.sync().scriptLoad(TAKE);
        adjustSha = opened.sync().scriptLoad(ADJUST);
        connection = opened;
        LOG.info("Rate limits are shared through Redis");
        return opened.sync();
      } catch (RedisException e) {
        LOG.warning(() -> "Redis for rate limits cannot be reached: " + e.getMessage());
        throw new LimiterUnavailableException(1);
      }
    }
  }

  @Override
  public void close() {
    var current = connection;
    if (current != null) {
      current.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
