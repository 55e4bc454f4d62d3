package io.parley.usage.domain;

/** Where an invitation stands. */
public enum InviteStatus {
  /** Waiting for the invited person. */
  PENDING,
  /** Accepted: the person is a member. */
  ACCEPTED,
  /** Not accepted in time. */
  EXPIRED
}
