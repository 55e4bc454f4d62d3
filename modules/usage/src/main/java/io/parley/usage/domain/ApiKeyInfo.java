package io.parley.usage.domain;

/**
 * An API key's metadata; never the secret. Times are seconds since the epoch, 0 = none.
 *
 * @param id {@code key-…}
 * @param name display name
 * @param redactedValue first characters and last four of the secret
 * @param organizationId organization the key defaults to
 * @param userId owner
 * @param createdAt creation
 * @param lastUsedAt last use (kept to the minute)
 * @param expiresAt expiry
 * @param revokedAt revocation
 */
public record ApiKeyInfo(
    String id,
    String name,
    String redactedValue,
    String organizationId,
    String userId,
    long createdAt,
    long lastUsedAt,
    long expiresAt,
    long revokedAt) {

  /** Whether the key belongs to a service account (and acts in its organization only). */
  public boolean serviceAccount() {
    return ServiceAccount.isServiceAccount(userId);
  }

  /** Whether the key may be used at {@code nowSeconds}. */
  public boolean usableAt(long nowSeconds) {
    return revokedAt == 0 && (expiresAt == 0 || nowSeconds < expiresAt);
  }
}
