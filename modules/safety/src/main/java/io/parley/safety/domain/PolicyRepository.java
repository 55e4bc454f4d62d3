package io.parley.safety.domain;

import java.util.Optional;

/** Where screening policies are kept. */
public interface PolicyRepository {

  /** The organization's policy, if one was set. */
  Optional<Policy> find(String organization);

  /** Sets the organization's policy. */
  void save(String organization, Policy policy);
}
