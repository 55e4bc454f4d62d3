package io.parley.usage.domain;

/**
 * An organization.
 *
 * @param id {@code org-…}
 * @param name display name
 * @param createdAt seconds since the epoch
 */
public record Organization(String id, String name, long createdAt) {}
