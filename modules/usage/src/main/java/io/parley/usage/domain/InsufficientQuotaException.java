package io.parley.usage.domain;

/**
 * Raised by a reservation that would take the organization's spend in the current period (settled
 * plus reserved) past its hard limit.
 */
public final class InsufficientQuotaException extends UsageException {
  private static final long serialVersionUID = 1L;

  public InsufficientQuotaException() {
    super(
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
        null,
        null);
  }
}
