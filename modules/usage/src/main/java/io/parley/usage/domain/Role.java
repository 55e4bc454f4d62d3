package io.parley.usage.domain;

/** Role of a member in an organization. */
public enum Role {
  /** Makes API requests and reads usage. */
  READER,
  /** Also manages members, keys, limits and fine-tuned models. */
  OWNER
}
