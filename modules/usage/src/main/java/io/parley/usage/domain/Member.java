package io.parley.usage.domain;

/**
 * A member of an organization.
 *
 * @param userId {@code user-…}
 * @param email e-mail address or display name
 * @param role role in the organization
 * @param addedAt seconds since the epoch
 */
public record Member(String userId, String email, Role role, long addedAt) {}
