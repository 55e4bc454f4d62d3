package io.parley.gateway.domain;

/**
 * The caller is known but may not do this (HTTP 403, code {@code permission_error}): a reader
 * trying an owner action.
 */
public class PermissionDeniedException extends GatewayException {

  /**
   * @param message what is not allowed
   */
  public PermissionDeniedException(String message) {
    super(403, INVALID_REQUEST, "permission_error", null, message);
  }

  /** An action that needs a role the caller lacks. */
  public static PermissionDeniedException role(Role needed) {
    return new PermissionDeniedException(
        "You have insufficient permissions for this operation. It requires the "
            + needed.name().toLowerCase(java.util.Locale.ROOT)
            + " role in this organization.");
  }
}
