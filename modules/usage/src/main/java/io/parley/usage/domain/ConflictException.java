package io.parley.usage.domain;

/**
 * Raised when a request contradicts the stored state: a request id reused for another organization
 * ({@code request_id_conflict}), a person already a member ({@code already_member}) or already
 * invited ({@code invite_exists}); or a precondition fails: the removal or demotion of an
 * organization's last owner ({@code last_owner}), a creator past the self-service cap ({@code
 * organization_limit_reached}), an invitation no longer pending ({@code invite_not_pending}).
 */
public final class ConflictException extends UsageException {
  private static final long serialVersionUID = 1L;

  private final boolean precondition;

  private ConflictException(String reason, String message, String param) {
    this(reason, message, param, false);
  }

  private ConflictException(String reason, String message, String param, boolean precondition) {
    super(reason, message, param, null);
    this.precondition = precondition;
  }

  /** Whether a precondition failed (rather than something already existing). */
  public boolean precondition() {
    return precondition;
  }

  /** The person is already a member of the organization. */
  public static ConflictException alreadyMember() {
    return new ConflictException(
        "already_member", "The user is already a member of the organization.", "email");
  }

  /** A pending invitation for the address exists. */
  public static ConflictException inviteExists() {
    return new ConflictException(
        "invite_exists", "A pending invitation for this e-mail address exists.", "email");
  }

  /** The invitation was accepted or has expired. */
  public static ConflictException inviteNotPending() {
    return new ConflictException(
        "invite_not_pending", "The invitation is no longer pending.", "invite_id", true);
  }

  /** The creator already created as many organizations as allowed. */
  public static ConflictException organizationLimit(int max) {
    return new ConflictException(
        "organization_limit_reached",
        "You have already created the maximum of " + max + " organizations.",
        null,
        true);
  }

  /** A request id already used for a different organization. */
  public static ConflictException requestId(String requestId) {
    return new ConflictException(
        "request_id_conflict",
        "Request id '" + requestId + "' is already used by another organization.",
        "request_id");
  }

  /**
   * A request id of a usage batch already used for a different organization ({@code
   * request_id_conflict}, like {@link #requestId}); {@code param} names the record at fault ({@code
   * records[i].request_id}) so the caller can drop it and send the rest again.
   */
  public static ConflictException requestIdInBatch(String requestId, int index) {
    return new ConflictException(
        "request_id_conflict",
        "Request id '"
            + requestId
            + "' (record "
            + index
            + ") is already used by another organization; nothing in the batch was recorded.",
        "records[" + index + "].request_id");
  }

  /** A lease id already used for a different organization ({@code request_id_conflict}). */
  public static ConflictException leaseId(String leaseId) {
    return new ConflictException(
        "request_id_conflict",
        "Lease id '" + leaseId + "' is already used by another organization.",
        "lease_id");
  }

  /** The change would leave the organization without an owner. */
  public static ConflictException lastOwner() {
    return new ConflictException(
        "last_owner", "An organization must keep at least one owner.", "user", true);
  }
}
