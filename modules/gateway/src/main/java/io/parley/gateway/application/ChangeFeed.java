package io.parley.gateway.application;

import java.util.function.Consumer;

/**
 * Tells the other gateway replicas that access changed (a role, a membership, a key, limits or a
 * policy), so they drop what they cached. With one replica there is nobody to tell.
 */
public interface ChangeFeed extends AutoCloseable {

  /** Sends a change to every other replica (best effort; never throws). */
  void publish(String change);

  /** Receives the changes other replicas send. */
  void subscribe(Consumer<String> listener);

  /**
   * Whether changes made on other replicas reach this one now. While false (the feed is down),
   * cached answers must not be trusted.
   */
  boolean live();

  @Override
  void close();

  /** The feed of a single replica: nothing to send, nothing to receive, always live. */
  ChangeFeed LOCAL =
      new ChangeFeed() {
        @Override
        public void publish(String change) {}

        @Override
        public void subscribe(Consumer<String> listener) {}

        @Override
        public boolean live() {
          return true;
        }

        @Override
        public void close() {}
      };
}
