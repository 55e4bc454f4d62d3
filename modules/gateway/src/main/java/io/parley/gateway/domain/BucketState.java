package io.parley.gateway.domain;

/**
 * A bucket as a take left it.
 *
 * @param bucket the bucket asked for
 * @param remaining whole units left (never negative)
 * @param resetMillis time until the bucket is full again
 * @param waitMillis 0 when the cost could be taken; otherwise how long until it could
 */
public record BucketState(Bucket bucket, long remaining, long resetMillis, long waitMillis) {

  /** Whether this bucket refused the cost. */
  public boolean refused() {
    return waitMillis > 0;
  }

  /** Units in use now: the limit minus what remains. */
  public long used() {
    return Math.max(0, bucket.limit() - remaining);
  }
}
