package io.parley.gateway.application;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How a gateway leaves without cutting work: API requests in flight (streams included, which run on
 * their request's thread) are counted; {@link #drain} turns the gateway's readiness down, so that
 * no new request is routed to it, and waits until those in flight have finished — up to a bound —
 * before the server is told to stop (whose own quiesce lasts at most 30 s).
 */
@ApplicationScoped
public class Drain {

  private final AtomicInteger inFlight = new AtomicInteger();
  private final Set<Runnable> streams = ConcurrentHashMap.newKeySet();
  private final Object idle = new Object();
  private volatile boolean draining;

  /** An API request starts. */
  public void enter() {
    inFlight.incrementAndGet();
  }

  /** An API request has ended (answered, failed or cut). */
  public void exit() {
    if (inFlight.decrementAndGet() == 0 && draining) {
      synchronized (idle) {
        idle.notifyAll();
      }
    }
  }

  /**
   * Registers a running stream: {@code end} ends it with an error event if the drain's bound passes
   * while it runs. Unregister with {@link #untrack} when it ends.
   */
  public void track(Runnable end) {
    streams.add(end);
  }

  /** A stream has ended. */
  public void untrack(Runnable end) {
    streams.remove(end);
  }

  /** Whether the gateway is leaving (its readiness is down). */
  public boolean draining() {
    return draining;
  }

  /** API requests in flight now. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Turns readiness down, waits {@code min} (while load balancers stop routing here, requests that
   * still arrive are served), then until no API request is in flight, up to {@code max} in all.
   *
   * @return the requests still in flight when it returned (0: drained)
   */
  public int drain(Duration min, Duration max) throws InterruptedException {
    draining = true;
    long start = System.nanoTime();
    TimeUnit.NANOSECONDS.sleep(Math.min(min.toNanos(), max.toNanos()));
    long deadline = start + max.toNanos();
    synchronized (idle) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(idle, left);
      }
    }
    if (inFlight.get() > 0) {
      // The bound has passed: the streams still running end now, each with an error event.
      for (var end : streams) {
        end.run();
      }
    }
    return inFlight.get();
  }
}
