package io.parley.usage.domain;

/**
 * Who an authenticated request runs as.
 *
 * @param organizationId organization the request runs in
 * @param organizationName its display name
 * @param userId user behind the key
 * @param role the user's role in that organization
 * @param apiKeyId key id
 * @param apiKeyOrganizationId organization the key belongs to
 * @param apiKeyExpiresAt the key's expiry, seconds since the epoch, 0 = never
 * @param serviceAccount whether the key belongs to a service account
 */
public record Principal(
    String organizationId,
    String organizationName,
    String userId,
    Role role,
    String apiKeyId,
    String apiKeyOrganizationId,
    long apiKeyExpiresAt,
    boolean serviceAccount) {}
