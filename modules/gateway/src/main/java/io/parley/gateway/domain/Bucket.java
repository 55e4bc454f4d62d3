package io.parley.gateway.domain;

/**
 * One token bucket to take from: {@code limit} units per minute, refilled continuously, starting
 * full.
 *
 * @param key the bucket's name within its organization ({@code rpm}, {@code key:K:tpm}, …)
 * @param limit capacity and refill per minute (&gt; 0)
 * @param cost units to take now (0 reads the bucket without taking)
 */
public record Bucket(String key, long limit, long cost) {

  public Bucket {
    if (limit <= 0 || cost < 0) {
      throw new IllegalArgumentException("bucket " + key + ": limit " + limit + ", cost " + cost);
    }
  }
}
