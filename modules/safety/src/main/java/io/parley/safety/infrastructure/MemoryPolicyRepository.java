package io.parley.safety.infrastructure;

import io.parley.safety.domain.Policy;
import io.parley.safety.domain.PolicyRepository;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Policies in memory: lost on restart and not shared between replicas. */
public final class MemoryPolicyRepository implements PolicyRepository {

  private final ConcurrentHashMap<String, Policy> policies = new ConcurrentHashMap<>();

  @Override
  public Optional<Policy> find(String organization) {
    return Optional.ofNullable(policies.get(organization));
  }

  @Override
  public void save(String organization, Policy policy) {
    policies.put(organization, policy);
  }
}
