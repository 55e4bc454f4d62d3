package io.parley.gateway.application;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A change feed in memory: records what is published, delivers what a test sends. */
public final class TestFeed implements ChangeFeed {

  /** What was published. */
  public final List<String> published = new CopyOnWriteArrayList<>();

  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  /** Whether the feed is up. */
  public volatile boolean live = true;

  @Override
  public void publish(String change) {
    published.add(change);
  }

  @Override
  public void subscribe(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** Delivers a change as if another replica had sent it. */
  public void receive(String change) {
    listeners.forEach(l -> l.accept(change));
  }

  @Override
  public boolean live() {
    return live;
  }

  @Override
  public void close() {}
}
