package io.parley.usage.domain;

/**
 * An invitation to join an organization. Times are seconds since the epoch, 0 = none.
 *
 * @param id {@code invite-…}
 * @param organizationId organization
 * @param email invited e-mail address (lower case)
 * @param role role given on acceptance
 * @param invitedBy who invited ({@code user-…}, or empty for the platform administrator)
 * @param invitedAt creation
 * @param expiresAt expiry
 * @param acceptedAt acceptance
 */
public record Invite(
    String id,
    String organizationId,
    String email,
    Role role,
    String invitedBy,
    long invitedAt,
    long expiresAt,
    long acceptedAt) {

  /** Prefix of invitation ids. */
  public static final String ID_PREFIX = "invite-";

  /** The status at {@code nowSeconds}. */
  public InviteStatus statusAt(long nowSeconds) {
    if (acceptedAt != 0) {
      return InviteStatus.ACCEPTED;
    }
    return nowSeconds < expiresAt ? InviteStatus.PENDING : InviteStatus.EXPIRED;
  }
}
