package io.parley.gateway.infrastructure;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.parley.gateway.application.ChangeFeed;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The change feed of several gateway replicas: Redis pub/sub on one channel ({@code
 * <prefix>changes}). Every replica subscribes; a change is published with {@code PUBLISH} and
 * reaches the others in milliseconds. The feed is {@linkplain #live() live} only while the
 * subscription stands: when the connection drops it is not, and when Lettuce has reconnected and
 * subscribed again the listeners get {@link #RESET} (changes may have been missed meanwhile). Until
 * Redis answers at start, a connection is tried again every second.
 */
public final class RedisChangeFeed implements ChangeFeed {

  /** Sent to the listeners when the subscription (re)starts: drop everything cached. */
  public static final String RESET = "reset";

  private static final Logger LOG = Logger.getLogger(RedisChangeFeed.class.getName());

  private final RedisClient client;
  private final String channel;
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService connector;
  private volatile StatefulRedisPubSubConnection<String, String> subscription;
  private volatile StatefulRedisConnection<String, String> publisher;
  private volatile boolean live;

  /**
   * @param endpoint the Redis server and how to reach it
   * @param prefix prefix of the channel name
   */
  public RedisChangeFeed(RedisEndpoint endpoint, String prefix) {
    this.client = endpoint.client();
    this.channel = prefix + "changes";
    client.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (connection == subscription) {
              live = false;
            }
          }
        });
    this.connector =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("parley-change-feed").daemon().unstarted(r));
    connector.scheduleWithFixedDelay(this::connectIfNeeded, 0, 1, TimeUnit.SECONDS);
  }

  private void connectIfNeeded() {
    if (subscription != null) {
      return;
    }
    try {
      if (publisher == null) {
        publisher = client.connect();
      }
      var sub = client.connectPubSub();
      sub.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String change) {
              if (channel.equals(from)) {
                deliver(change);
              }
            }

            @Override
            public void subscribed(String to, long count) {
              if (channel.equals(to)) {
                live = true;
                deliver(RESET);
              }
            }
          });
      subscription = sub;
      sub.sync().subscribe(channel);
      LOG.info(() -> "Access changes are shared through Redis channel " + channel);
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Redis change feed not connected yet", e);
      var sub = subscription;
      subscription = null;
      live = false;
      if (sub != null) {
        sub.closeAsync();
      }
    }
  }

  private void deliver(String change) {
    for (var listener : listeners) {
      try {
        listener.accept(change);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "A change listener failed", e);
      }
    }
  }

  @Override
  public void publish(String change) {
    var connection = publisher;
    if (connection == null) {
      return;
    }
    try {
      connection.async().publish(channel, change);
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Could not publish an access change", e);
    }
  }

  @Override
  public void subscribe(Consumer<String> listener) {
    listeners.add(listener);
  }

  @Override
  public boolean live() {
    var sub = subscription;
    return live && sub != null && sub.isOpen();
  }

  @Override
  public void close() {
    connector.shutdownNow();
    var sub = subscription;
    if (sub != null) {
      sub.close();
    }
    var pub = publisher;
    if (pub != null) {
      pub.close();
    }
    client.shutdown();
  }
}
