package io.parley.gateway.domain;

import java.util.List;

/**
 * Where token buckets live: in this process, or shared by every gateway replica. Each bucket holds
 * up to {@code limit} units and regains {@code limit} per minute continuously (at millisecond
 * resolution, in exact integer arithmetic: one unit is 60,000 sub-units and a bucket regains {@code
 * limit} sub-units per millisecond).
 */
public interface BucketStore extends AutoCloseable {

  /**
   * Takes each bucket's cost from all of them, or from none when any one lacks it; atomic over the
   * buckets, also across replicas. Buckets of one organization only.
   *
   * @param organization the organization the buckets belong to
   * @param buckets what to take
   * @return each bucket's state afterwards, in order
   * @throws LimiterUnavailableException when the store cannot be reached
   */
  List<BucketState> take(String organization, List<Bucket> buckets);

  /**
   * Corrects a bucket after the fact, without checking: a positive {@code units} takes more (the
   * level may go below zero and is paid back by the refill), a negative one gives units back (up to
   * the limit).
   *
   * @throws LimiterUnavailableException when the store cannot be reached
   */
  void adjust(String organization, String key, long limit, long units);

  @Override
  default void close() {}
}
