package io.parley.safety.application;

import io.parley.safety.domain.InvalidSafetyRequestException;
import io.parley.safety.domain.Policy;
import io.parley.safety.domain.PolicyRepository;

/**
 * Organizations' screening policies; an organization without its own gets the configured default.
 */
public final class PolicyService {

  private final PolicyRepository repository;
  private final Policy defaults;

  /**
   * @param repository where policies are kept
   * @param defaults the policy of organizations that set none
   */
  public PolicyService(PolicyRepository repository, Policy defaults) {
    this.repository = repository;
    this.defaults = defaults;
  }

  /** The organization's policy, or the default. */
  public Policy get(String organization) {
    return repository.find(check(organization)).orElse(defaults);
  }

  /** Sets the organization's policy and returns it. */
  public Policy set(String organization, Policy policy) {
    repository.save(check(organization), policy);
    return policy;
  }

  private static String check(String organization) {
    if (organization.isBlank()) {
      throw new InvalidSafetyRequestException("organization is required.", "organization");
    }
    return organization;
  }
}
