package io.parley.usage.domain;

/**
 * Raised when a request contradicts the stored state: a request id reused for another organization
 * ({@code request_id_conflict}), or the removal or demotion of an organization's last owner ({@code
 * last_owner}).
 */
public final class ConflictException extends UsageException {
  private static final long serialVersionUID = 1L;

  private ConflictException(String reason, String message, String param) {
    super(reason, message, param, null);
  }

  /** A request id already used for a different organization. */
  public static ConflictException requestId(String requestId) {
    return new ConflictException(
        "request_id_conflict",
        "Request id '" + requestId + "' is already used by another organization.",
        "request_id");
  }

  /** The change would leave the organization without an owner. */
  public static ConflictException lastOwner() {
    return new ConflictException(
        "last_owner", "An organization must keep at least one owner.", "user");
  }
}
