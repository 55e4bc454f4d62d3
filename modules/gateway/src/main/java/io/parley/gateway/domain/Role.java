package io.parley.gateway.domain;

/** What a member may do in an organization. */
public enum Role {
  /** Makes API requests and reads usage. */
  READER,
  /** Also manages members, API keys, limits and fine-tuned models. */
  OWNER;

  /** Whether this role includes everything {@code other} may do. */
  public boolean includes(Role other) {
    return compareTo(other) >= 0;
  }
}
