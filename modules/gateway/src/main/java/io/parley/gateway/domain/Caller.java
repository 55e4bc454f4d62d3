package io.parley.gateway.domain;

/**
 * Who sent a request, as authentication established it.
 *
 * @param organization the organization the request runs in and is billed to ({@code org-…})
 * @param user the user behind the key ({@code user-…}, or {@code svc-acct-…} for a service account)
 * @param role the user's role in that organization
 * @param apiKeyId id of the key used (never the secret)
 * @param administrator whether the key is the installation's bootstrap admin key (the platform
 *     administrator)
 * @param serviceAccount whether the key belongs to a service account (bound to one organization)
 */
public record Caller(
    String organization,
    String user,
    Role role,
    String apiKeyId,
    boolean administrator,
    boolean serviceAccount) {

  /** A person's (or the administrator's) request. */
  public Caller(
      String organization, String user, Role role, String apiKeyId, boolean administrator) {
    this(organization, user, role, apiKeyId, administrator, false);
  }

  /**
   * Requires a role.
   *
   * @throws PermissionDeniedException when the caller's role does not include it
   */
  public void require(Role needed) {
    if (!administrator && !role.includes(needed)) {
      throw PermissionDeniedException.role(needed);
    }
  }

  /**
   * Requires the platform administrator.
   *
   * @throws PermissionDeniedException for anyone else
   */
  public void requireAdministrator(String what) {
    if (!administrator) {
      throw new PermissionDeniedException("Only the platform administrator can " + what + ".");
    }
  }

  /**
   * Requires a person (or the administrator), not a service account.
   *
   * @throws PermissionDeniedException for a service account
   */
  public void requirePerson(String what) {
    if (serviceAccount) {
      throw new PermissionDeniedException("A service account cannot " + what + ".");
    }
  }
}
