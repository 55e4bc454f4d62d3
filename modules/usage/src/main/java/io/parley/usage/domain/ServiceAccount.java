package io.parley.usage.domain;

/**
 * A service account: a member of exactly one organization that is not a person. Its keys act in
 * that organization only.
 *
 * @param id {@code svc-acct-…}
 * @param organizationId its organization
 * @param name display name
 * @param role role in the organization
 * @param createdAt seconds since the epoch
 */
public record ServiceAccount(
    String id, String organizationId, String name, Role role, long createdAt) {

  /** Prefix of service-account ids (never a user id: those start with {@code user-}). */
  public static final String ID_PREFIX = "svc-acct-";

  /** Whether an id names a service account. */
  public static boolean isServiceAccount(String userId) {
    return userId.startsWith(ID_PREFIX);
  }
}
