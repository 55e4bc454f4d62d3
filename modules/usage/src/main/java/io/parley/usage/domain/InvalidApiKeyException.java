package io.parley.usage.domain;

/**
 * Raised by authentication when a key is unknown, revoked or expired, or its user is no longer a
 * member of the key's organization. The message is the same in every case and never contains the
 * key.
 */
public final class InvalidApiKeyException extends UsageException {
  private static final long serialVersionUID = 1L;

  /** The one message of this error. */
  public static final String MESSAGE =
      "Incorrect API key provided. You can find your API key in your organization's settings.";

  public InvalidApiKeyException() {
    super("invalid_api_key", MESSAGE, null, null);
  }
}
