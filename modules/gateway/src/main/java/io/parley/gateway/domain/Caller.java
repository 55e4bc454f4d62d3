package io.parley.gateway.domain;

/**
 * Who sent a request, as authentication established it.
 *
 * @param organization the organization the request runs in and is billed to ({@code org-…})
 * @param user the user behind the key ({@code user-…})
 * @param role the user's role in that organization
 * @param apiKeyId id of the key used (never the secret)
 * @param administrator whether the key is the installation's bootstrap admin key
 */
public record Caller(
    String organization, String user, Role role, String apiKeyId, boolean administrator) {

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
}
