package io.parley.usage.domain;

/**
 * One organization of a user.
 *
 * @param organization the organization
 * @param role the user's role there
 * @param isDefault whether it is the user's default organization
 */
public record OrganizationMembership(Organization organization, Role role, boolean isDefault) {}
