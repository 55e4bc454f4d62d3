package io.parley.usage.domain;

/**
 * Raised when a named organization, user, API key, reservation or budget lease does not exist; the
 * reason names which ({@code organization_not_found}, {@code user_not_found}, {@code
 * api_key_not_found}, {@code reservation_not_found}, {@code lease_not_found}).
 */
public final class NotFoundException extends UsageException {
  private static final long serialVersionUID = 1L;

  private NotFoundException(String reason, String message, String param) {
    super(reason, message, param, null);
  }

  /** An unknown organization. */
  public static NotFoundException organization(String id) {
    return new NotFoundException(
        "organization_not_found", "No organization with id '" + id + "'.", "organization");
  }

  /** An unknown user. */
  public static NotFoundException user(String id) {
    return new NotFoundException("user_not_found", "No user '" + id + "'.", "user");
  }

  /** An unknown key id (in the organization given). */
  public static NotFoundException apiKey(String id) {
    return new NotFoundException("api_key_not_found", "No API key '" + id + "'.", "api_key_id");
  }

  /** An unknown invitation (in the organization given). */
  public static NotFoundException invite(String id) {
    return new NotFoundException("invite_not_found", "No invitation '" + id + "'.", "invite_id");
  }

  /** An unknown service account (in the organization given). */
  public static NotFoundException serviceAccount(String id) {
    return new NotFoundException(
        "service_account_not_found", "No service account '" + id + "'.", "service_account_id");
  }

  /** A budget lease that does not exist (in the organization given). */
  public static NotFoundException lease(String leaseId) {
    return new NotFoundException(
        "lease_not_found", "No budget lease '" + leaseId + "'.", "lease_id");
  }

  /** A request id that was never reserved. */
  public static NotFoundException reservation(String requestId) {
    return new NotFoundException(
        "reservation_not_found", "No reservation for request '" + requestId + "'.", "request_id");
  }
}
