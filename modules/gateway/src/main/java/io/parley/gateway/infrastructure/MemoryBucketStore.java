package io.parley.gateway.infrastructure;

import io.parley.gateway.domain.Bucket;
import io.parley.gateway.domain.BucketState;
import io.parley.gateway.domain.BucketStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets in this process (one gateway replica). An organization's buckets sit behind one
 * lock, so a request's buckets are checked and taken together; organizations do not contend. Full
 * buckets are forgotten (a missing bucket is a full one), so memory follows the active
 * organizations.
 */
public final class MemoryBucketStore implements BucketStore {

  /** Sub-units per unit: a bucket of {@code limit} per minute regains {@code limit} per ms. */
  static final long SCALE = 60_000;

  private static final long SWEEP_EVERY_MILLIS = 60_000;

  private final LongSupplier clockMillis;
  private final Map<String, Organization> organizations = new ConcurrentHashMap<>();
  private volatile long lastSweep;

  /** A store on the monotonic clock. */
  public MemoryBucketStore() {
    this(() -> System.nanoTime() / 1_000_000);
  }

  /**
   * @param clockMillis a monotonic clock in milliseconds (tests drive their own)
   */
  public MemoryBucketStore(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    this.lastSweep = clockMillis.getAsLong();
  }

  @Override
  public List<BucketState> take(String organization, List<Bucket> buckets) {
    long now = clockMillis.getAsLong();
    sweep(now);
    var org = organizations.computeIfAbsent(organization, o -> new Organization());
    var states = new ArrayList<BucketState>(buckets.size());
    synchronized (org) {
      var levels = new long[buckets.size()];
      boolean ok = true;
      for (int i = 0; i < buckets.size(); i++) {
        var bucket = buckets.get(i);
        levels[i] = org.level(bucket.key(), bucket.limit(), now);
        if (levels[i] < bucket.cost() * SCALE) {
          ok = false;
        }
      }
      for (int i = 0; i < buckets.size(); i++) {
        var bucket = buckets.get(i);
        long cost = bucket.cost() * SCALE;
        long level = levels[i];
        long wait = 0;
        if (ok) {
          level -= cost;
          if (cost > 0) {
            org.set(bucket.key(), bucket.limit(), level, now);
          }
        } else if (level < cost) {
          wait = ceilDiv(cost - level, bucket.limit());
        }
        states.add(state(bucket, level, wait));
      }
    }
    return states;
  }

  @Override
  public void adjust(String organization, String key, long limit, long units) {
    if (units == 0) {
      return;
    }
    long now = clockMillis.getAsLong();
    var org = organizations.computeIfAbsent(organization, o -> new Organization());
    synchronized (org) {
      long level = Math.min(limit * SCALE, org.level(key, limit, now) - units * SCALE);
      org.set(key, limit, level, now);
    }
  }

  static BucketState state(Bucket bucket, long level, long waitMillis) {
    long capacity = bucket.limit() * SCALE;
    long remaining = Math.max(0, Math.floorDiv(level, SCALE));
    long reset = level >= capacity ? 0 : ceilDiv(capacity - level, bucket.limit());
    return new BucketState(bucket, remaining, reset, Math.max(waitMillis, 0));
  }

  static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  /** Number of buckets held (full ones are not). */
  int size() {
    return organizations.values().stream().mapToInt(o -> o.levels.size()).sum();
  }

  private void sweep(long now) {
    if (now - lastSweep < SWEEP_EVERY_MILLIS) {
      return;
    }
    lastSweep = now;
    organizations
        .entrySet()
        .removeIf(
            entry -> {
              var org = entry.getValue();
              synchronized (org) {
                org.levels.entrySet().removeIf(e -> e.getValue().fullBy <= now);
                return org.levels.isEmpty();
              }
            });
  }

  /** The buckets of one organization that are not full; guarded by the object's monitor. */
  private static final class Organization {
    private final Map<String, Level> levels = new HashMap<>();

    long level(String key, long limit, long now) {
      var stored = levels.get(key);
      long capacity = limit * SCALE;
      if (stored == null) {
        return capacity;
      }
      long elapsed = Math.max(0, now - stored.at);
      if (elapsed >= ceilDiv(capacity - stored.level, limit)) {
        return capacity;
      }
      return Math.min(capacity, stored.level + elapsed * limit);
    }

    void set(String key, long limit, long level, long now) {
      var stored = levels.computeIfAbsent(key, k -> new Level());
      stored.level = level;
      stored.at = now;
      stored.fullBy = now + Math.max(0, ceilDiv(limit * SCALE - level, limit));
    }
  }

  private static final class Level {
    long level;
    long at;
    long fullBy;
  }
}
