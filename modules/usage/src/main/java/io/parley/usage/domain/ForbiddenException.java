package io.parley.usage.domain;

/**
 * Raised when no role allows what was asked: accepting an invitation addressed to another e-mail
 * address ({@code invite_email_mismatch}), a key for someone who is not a person member ({@code
 * not_a_person}), or acting on a service account as a person ({@code service_account}).
 */
public final class ForbiddenException extends UsageException {
  private static final long serialVersionUID = 1L;

  private ForbiddenException(String reason, String message, String param) {
    super(reason, message, param, null);
  }

  /** The invitation is for another e-mail address. */
  public static ForbiddenException inviteEmailMismatch() {
    return new ForbiddenException(
        "invite_email_mismatch",
        "This invitation is for another e-mail address; only the invited person can accept it.",
        "invite_id");
  }

  /** Only a person may do this (not a service account). */
  public static ForbiddenException notAPerson(String param) {
    return new ForbiddenException(
        "not_a_person", "Only a person (not a service account) can do this.", param);
  }
}
